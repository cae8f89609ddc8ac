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
#include "storage/testing/manual_loop.h"

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
  // Recovery's decoder gives the same indexes, terms and cells without the
  // payloads, into a write and cells it reuses (here left from another).
  LogWrite terms{HardState{9, 9, 9}, {LogEntry{1, 1, "stale"}, LogEntry{2, 1, "stale"}}};
  std::vector<Span> term_cells{Span{1, 2}};
  RC_ASSERT(DecodeWriteTermsInto(payload, terms, term_cells).ok());
  RC_ASSERT(terms.hard_state == write.hard_state);
  RC_ASSERT(terms.entries.size() == decoded->entries.size());
  RC_ASSERT(term_cells.size() == cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    RC_ASSERT(terms.entries[i].index == decoded->entries[i].index);
    RC_ASSERT(terms.entries[i].term == decoded->entries[i].term);
    RC_ASSERT(terms.entries[i].payload.empty());
    RC_ASSERT(term_cells[i].offset == cells[i].offset);
    RC_ASSERT(term_cells[i].length == cells[i].length);
  }
}

// Recovery's decoder skips a cell's checksum only on the way to an answer:
// a cell that is not the entry it should be is still an error.
TEST(SimJournalTest, RecoveryDecoderRejectsACellOfAnotherIndex) {
  LogWrite write;
  write.entries = {LogEntry{10, 3, "ten"}, LogEntry{11, 3, "eleven"}};
  std::string payload;
  std::vector<Span> cells;
  AppendWritePayload(write, 0, payload, cells);
  LogWrite decoded;
  std::vector<Span> decoded_cells;
  ASSERT_TRUE(DecodeWriteTermsInto(payload, decoded, decoded_cells).ok());
  // The second cell's body starts with its index (records.h): make it 12.
  payload[cells[1].offset + kCellHeaderBytes] = 12;
  const absl::Status status = DecodeWriteTermsInto(payload, decoded, decoded_cells);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_EQ(DecodeWritePayload(payload).status().code(), absl::StatusCode::kDataLoss);
}

// ReadStable returns what the file holds, without a copy when no fault can
// fire, and through transient read corruption; reads that never agree are
// data loss, not a wrong answer.
TEST(SimJournalTest, ReadStableReadsThroughTransientCorruption) {
  testing::ManualLoop loop;
  SimDisk disk(loop, env::Random(21));
  const std::string content = FrameRecord(RecordType::kLogWrite, std::string(300, 'v'));
  ASSERT_TRUE(disk.Append("j", content).ok());
  const SimDisk::FileRef file = disk.Resolve("j");
  StableReadScratch scratch;

  absl::StatusOr<absl::string_view> clean = ReadStable(disk, file, "j", scratch);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(*clean, content);
  EXPECT_TRUE(scratch.reads[0].empty() && scratch.reads[1].empty()) << "no copy without faults";

  // Half the reads flip a bit: two in a row agree only when both are clean
  // (or, far less likely, flip the same bit). Over many tries the answer is
  // always the content here, and some tries needed more than two reads.
  SimDiskFaults faults;
  faults.read_corruption_ppm = 500'000;
  disk.SetFaults(faults);
  for (int attempt = 0; attempt < 100; ++attempt) {
    absl::StatusOr<absl::string_view> read = ReadStable(disk, file, "j", scratch);
    if (!read.ok()) {
      EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
      continue;
    }
    EXPECT_EQ(*read, content) << "attempt " << attempt;
  }
  EXPECT_GT(disk.counters().read_corruptions, 50);

  // Every read flips a bit: the reads disagree (or, rarely, agree on a
  // corrupt copy, which ParseJournal's checksums then refuse).
  faults.read_corruption_ppm = 1'000'000;
  disk.SetFaults(faults);
  absl::StatusOr<absl::string_view> corrupt = ReadStable(disk, file, "j", scratch);
  if (corrupt.ok()) {
    EXPECT_NE(*corrupt, content);
    EXPECT_EQ(ParseJournal(*corrupt, "j").status().code(), absl::StatusCode::kDataLoss);
  } else {
    EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(corrupt.status().message().find("disagree"), absl::string_view::npos);
  }
}

}  // namespace
}  // namespace kv::storage
