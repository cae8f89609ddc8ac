#include "storage/sim_journal.h"

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/status_macros.h"
#include "storage/coding.h"
#include "storage/crc32c.h"

namespace kv::storage {
namespace {

bool KnownType(uint8_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::kLogWrite:
    case RecordType::kLogSnapshot:
    case RecordType::kLogCompact:
    case RecordType::kLogImage:
    case RecordType::kShardApply:
    case RecordType::kShardImage:
    case RecordType::kShardData:
      return true;
  }
  return false;
}

}  // namespace

std::string FrameRecord(RecordType type, absl::string_view payload) {
  std::string record;
  record.reserve(kRecordHeaderBytes + payload.size());
  const size_t record_start = BeginRecord(record, type);
  record.append(payload.data(), payload.size());
  FinishRecord(record, record_start);
  return record;
}

absl::StatusOr<ParsedJournal> ParseJournal(absl::string_view bytes, absl::string_view file) {
  ParsedJournal journal;
  uint64_t offset = 0;
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("checksum mismatch on journal record ", what,
                                            " at offset ", offset, " of ", file,
                                            "; refusing to recover past it"));
  };
  while (offset < bytes.size()) {
    const uint64_t remaining = bytes.size() - offset;
    if (remaining < 8) break;  // A torn header.
    const char* header = bytes.data() + offset;
    if (UnmaskCrc(DecodeFixed32(header + 4)) != Crc32cOf4Bytes(header)) {
      return corrupt("length");
    }
    const uint32_t body_length = DecodeFixed32(header);
    if (remaining < 12 || body_length > remaining - 12) break;  // A torn body.
    const absl::string_view body = bytes.substr(offset + 12, body_length);
    if (UnmaskCrc(DecodeFixed32(header + 8)) != Crc32c(body)) return corrupt("body");
    if (body.empty() || !KnownType(static_cast<uint8_t>(body[0]))) return corrupt("type");
    journal.records.push_back(JournalRecord{static_cast<RecordType>(body[0]),
                                            offset + kRecordHeaderBytes, body.substr(1)});
    offset += 12 + body_length;
  }
  journal.valid_bytes = offset;
  journal.torn_tail = offset < bytes.size();
  return journal;
}

void ReserveJournal(SimDisk& disk, SimDisk::FileRef file, uint64_t rewrite_threshold_bytes) {
  // Twice the threshold: the log tests it only when it compacts, and a
  // shard's threshold rises as keys are added, so a journal overshoots it
  // before its rewrite. A journal that outgrows even this doubles as before.
  disk.Reserve(file, 2 * rewrite_threshold_bytes);
}

absl::StatusOr<absl::string_view> ReadStable(SimDisk& disk, SimDisk::FileRef file,
                                             absl::string_view name, StableReadScratch& scratch) {
  constexpr int kMaxReads = 6;
  const uint64_t size = disk.FileSize(file);
  // Each read goes into the scratch the previous one does not hold, so the
  // two being compared are both intact (Read's draws and errors: ReadView).
  int slot = 0;
  KV_ASSIGN_OR_RETURN(absl::string_view previous, disk.ReadView(file, 0, size, scratch.reads[slot]));
  for (int read = 1; read < kMaxReads; ++read) {
    slot ^= 1;
    KV_ASSIGN_OR_RETURN(absl::string_view next, disk.ReadView(file, 0, size, scratch.reads[slot]));
    // Views of the page cache (no fault fired) are the same bytes.
    if (next.data() == previous.data() || next == previous) return next;
    previous = next;
  }
  return absl::DataLossError(absl::StrCat("reads of ", name, " disagree ", kMaxReads,
                                          " times in a row; the disk is unreliable"));
}

}  // namespace kv::storage
