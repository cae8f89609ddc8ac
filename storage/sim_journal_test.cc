// Framing of journal records (sim_journal.h) and the in-place encoding of
// log writes (sim_log_records.h): what the simulated storages write must be
// byte for byte the documented format, wherever in a buffer it is built.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/sim_journal.h"
#include "storage/sim_log_records.h"

namespace kv::storage {
namespace {

// The format as sim_journal.h describes it, spelled out independently.
std::string ExpectedRecord(RecordType type, const std::string& payload) {
  std::string body(1, static_cast<char>(type));
  body += payload;
  std::string length;
  PutFixed32(length, static_cast<uint32_t>(body.size()));
  std::string record = length;
  PutFixed32(record, MaskCrc(Crc32c(length)));
  PutFixed32(record, MaskCrc(Crc32c(body)));
  return record + body;
}

RC_GTEST_PROP(SimJournalProperty, RecordsFramedInPlaceMatchTheFormat,
              (const std::string& prefix, const std::string& payload)) {
  RC_ASSERT(FrameRecord(RecordType::kShardApply, payload) ==
            ExpectedRecord(RecordType::kShardApply, payload));
  std::string out = prefix;
  const size_t start = BeginRecord(out, RecordType::kLogWrite);
  RC_ASSERT(start == prefix.size());
  out += payload;
  FinishRecord(out, start);
  RC_ASSERT(out == prefix + ExpectedRecord(RecordType::kLogWrite, payload));

  // Sized: the payload is written into the room BeginRecord made for it.
  std::string sized = prefix;
  const size_t sized_start = BeginRecord(sized, RecordType::kLogWrite, payload.size());
  RC_ASSERT(sized_start == prefix.size());
  RC_ASSERT(sized.size() == prefix.size() + kRecordHeaderBytes + payload.size());
  CopyBytes(sized.data() + sized_start + kRecordHeaderBytes, payload);
  FinishRecord(sized, sized_start);
  RC_ASSERT(sized == out);

  auto journal = ParseJournal(absl::string_view(out).substr(prefix.size()), "f");
  RC_ASSERT(journal.ok());
  RC_ASSERT(journal->records.size() == 1u);
  RC_ASSERT(journal->records[0].payload == payload);
  RC_ASSERT(journal->records[0].payload_offset == kRecordHeaderBytes);
  RC_ASSERT(!journal->torn_tail);
}

RC_GTEST_PROP(SimJournalProperty, WritePayloadDecodesAtItsSpans,
              (const std::string& prefix, const std::vector<std::string>& payloads,
               bool with_hard_state, uint8_t skipped)) {
  LogWrite write;
  if (with_hard_state) write.hard_state = HardState{3, 2, 1};
  for (size_t i = 0; i < payloads.size(); ++i) {
    write.entries.push_back(LogEntry{10 + i, 3, payloads[i]});
  }
  const size_t skipped_count = payloads.empty() ? 0 : skipped % (payloads.size() + 1);
  std::string out = prefix;
  std::vector<Span> cells;
  AppendWritePayload(write, skipped_count, out, cells);
  RC_ASSERT(out.compare(0, prefix.size(), prefix) == 0);
  const absl::string_view payload = absl::string_view(out).substr(prefix.size());
  auto decoded = DecodeWritePayload(payload);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->hard_state == write.hard_state);
  RC_ASSERT(decoded->entries.size() == payloads.size() - skipped_count);
  RC_ASSERT(cells.size() == decoded->entries.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    RC_ASSERT(decoded->entries[i] == write.entries[skipped_count + i]);
    RC_ASSERT(cells[i].offset == decoded->entry_cells[i].offset);
    RC_ASSERT(cells[i].length == decoded->entry_cells[i].length);
    auto entry =
        DecodeEntry(payload.substr(cells[i].offset, cells[i].length), 10 + skipped_count + i);
    RC_ASSERT(entry.ok());
  }
}

}  // namespace
}  // namespace kv::storage
