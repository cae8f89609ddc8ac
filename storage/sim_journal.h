#pragma once
// The record journal that the simulated storages keep in SimDisk files, and
// the recovery rules for reading it back. Layer: storage/.
//
// A journal is a sequence of records, each
//   [body length u32][masked crc32c of the length u32]
//   [masked crc32c of body u32][body = type u8, payload]
// appended in one SimDisk::Append, so that one record is one atomic write:
// a crash can only leave a torn record as the last one (SimDisk's crash
// model, and what a real disk does at the end of a log). Recovery reads the
// file until two reads agree (a transient read corruption rarely repeats),
// then accepts the records up to a torn tail, which it cuts off.
//
// The length has its own checksum so that a corrupted length can never pass
// for a torn tail: "torn" means the bytes simply end early (a header shorter
// than 8 bytes, or a verified length reaching past the end of the file).
// Any checksum mismatch is corruption of data that may have been
// acknowledged, and recovery refuses it with kDataLoss.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/env/check.h"
#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/sim_disk.h"

namespace kv::storage {

// Bytes before a record's payload: length, its crc, body crc, type.
inline constexpr uint64_t kRecordHeaderBytes = 13;

// Record types. Log journals use 1..9, state-machine journals 11..19.
enum class RecordType : uint8_t {
  kLogWrite = 1,
  kLogSnapshot = 2,
  kLogCompact = 3,
  kLogImage = 4,
  kShardApply = 11,
  kShardImage = 12,
  // Teeth only (SimStateMachineOptions::bug_index_before_data): the
  // mutations of an applied batch, journaled after a record that already
  // advanced the applied index.
  kShardData = 13,
};

// Frames one record.
std::string FrameRecord(RecordType type, absl::string_view payload);

// Frames a record at the end of `out` without copying the payload:
// BeginRecord appends the header and type and returns where the record
// starts (its payload starts kRecordHeaderBytes later), the caller appends
// the payload, and FinishRecord fills in the length and checksums. The bytes
// are those FrameRecord would produce. A caller that knows the payload's
// size passes it as `payload_bytes`: `out` then also grows by that many
// bytes for it to fill in place, in one resize with the header.
// Both inline: they run per journal record, and the call to FinishRecord
// cost about as much as its stores around the two checksums. `out` is a
// std::string, or a SimPageCache (SimDisk::AppendEncoded): its room is not
// zeroed, and the caller writes every byte of the payload.
template <typename Out>
inline size_t BeginRecord(Out& out, RecordType type, size_t payload_bytes = 0) {
  const size_t record_start = out.size();
  GrowBy(out, kRecordHeaderBytes + payload_bytes)[kRecordHeaderBytes - 1] =
      static_cast<char>(type);
  return record_start;
}
template <typename Out>
inline void FinishRecord(Out& out, size_t record_start) {
  const size_t body_start = record_start + 12;
  KV_CHECK_GE(out.size(), body_start + 1);
  const absl::string_view body(out.data() + body_start, out.size() - body_start);
  char* header = out.data() + record_start;
  EncodeFixed32(header, static_cast<uint32_t>(body.size()));
  EncodeFixed32(header + 4, MaskCrc(Crc32cOf4Bytes(header)));
  EncodeFixed32(header + 8, MaskCrc(Crc32c(body)));
}

struct JournalRecord {
  RecordType type;
  // Offset of the payload in the file, for reads that come back later.
  uint64_t payload_offset = 0;
  absl::string_view payload;
};

struct ParsedJournal {
  std::vector<JournalRecord> records;
  // Bytes up to the end of the last good record.
  uint64_t valid_bytes = 0;
  // Whether bytes after valid_bytes were cut off as a torn write.
  bool torn_tail = false;
};

// Parses a journal (views point into `bytes`). Errors: kDataLoss naming
// `file` and the offset for a complete record with a bad checksum or type.
[[nodiscard]] absl::StatusOr<ParsedJournal> ParseJournal(absl::string_view bytes,
                                                         absl::string_view file);

// Where ReadStable copies reads that the read-corruption fault changed.
struct StableReadScratch {
  std::string reads[2];
};

// Reads all of `file` (named `name` in errors) until two consecutive reads
// agree, so a transient read corruption cannot be mistaken for a torn tail
// or for data loss. The result is a view (SimDisk::ReadView): into the page
// cache, or into `scratch` if a fault fired; valid until the next write to
// `file` or use of `scratch`. Without a copy, because every restart reads
// every journal of the node, and on seeds with frequent disk errors the
// copies were a seventh of the run. Errors: kDataLoss if reads never agree.
[[nodiscard]] absl::StatusOr<absl::string_view> ReadStable(SimDisk& disk, SimDisk::FileRef file,
                                                           absl::string_view name,
                                                           StableReadScratch& scratch);

// Preallocates the page cache of journal `file` (SimDisk::Reserve) for its
// growth up to its next rewrite, given `rewrite_threshold_bytes`, the size
// past which its storage rewrites it.
void ReserveJournal(SimDisk& disk, SimDisk::FileRef file, uint64_t rewrite_threshold_bytes);

// Reads a checksummed cell at [offset, offset + length) of `file` and decodes
// it with `decode`, reading once more if the first read fails its checksum
// (a transient read corruption). Errors: those of `decode` when both reads fail.
// `decode` gets a view that is valid only during the call.
template <typename Decode>
auto ReadCell(SimDisk& disk, SimDisk::FileRef file, uint64_t offset, uint64_t length,
              Decode decode) -> decltype(decode(absl::string_view())) {
  std::string scratch;
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<absl::string_view> bytes = disk.ReadView(file, offset, length, scratch);
    if (!bytes.ok()) return bytes.status();
    decltype(decode(absl::string_view())) result = decode(*bytes);
    if (result.ok() || attempt == 1) return result;
  }
}

}  // namespace kv::storage
