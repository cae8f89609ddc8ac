#include "storage/records.h"

#include <string>

#include "gtest/gtest.h"
#include "storage/coding.h"
#include "rapidcheck/gtest.h"

namespace kv::storage {
namespace {

// Every size around the inline copy's cases (1-3, 4-7, 8-15, 16-32 bytes)
// and past them, into a buffer with guard bytes on both sides: the copy
// must reproduce each byte, write nothing outside, and return its end.
TEST(CopyBytesTest, CopiesEveryByteOfEverySizeAndNothingElse) {
  for (size_t size = 0; size <= 70; ++size) {
    std::string source(size, '\0');
    for (size_t i = 0; i < size; ++i) source[i] = static_cast<char>('A' + i % 50);
    constexpr size_t kGuard = 20;
    std::string buffer(size + 2 * kGuard, '#');
    char* const end = CopyBytes(buffer.data() + kGuard, source);
    EXPECT_EQ(end, buffer.data() + kGuard + size) << "size " << size;
    EXPECT_EQ(buffer, std::string(kGuard, '#') + source + std::string(kGuard, '#'))
        << "size " << size;
  }
}

TEST(RecordsTest, EntryRoundTrips) {
  const LogEntry entry{7, 3, std::string("pay\0load", 8)};
  auto decoded = DecodeEntry(EncodeEntry(entry), 7);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, entry);
}

TEST(RecordsTest, EntryUnderWrongIndexIsDataLoss) {
  auto decoded = DecodeEntry(EncodeEntry(LogEntry{7, 3, "x"}), 8);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordsTest, TruncatedCellIsDataLoss) {
  EXPECT_EQ(OpenCell("abc", "thing").status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordsTest, SnapshotMetadataRoundTripsAndVerifiesData) {
  const StoredSnapshotMetadata stored{SnapshotMetadata{10, 2, "conf"}, 4, 0};
  auto decoded = DecodeSnapshotMetadata(EncodeSnapshotMetadata(stored));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->metadata, stored.metadata);
  EXPECT_EQ(decoded->data_bytes, 4u);
  StoredSnapshotMetadata with_crc = stored;
  with_crc.data_crc = 0x12345678;
  const absl::Status status = VerifySnapshotData(with_crc, "data");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("checksum mismatch on snapshot 10"), absl::string_view::npos)
      << status;
}

TEST(RecordsTest, ValueUnderAnotherKeyIsDataLoss) {
  EXPECT_EQ(*DecodeValue(EncodeValue("k", "v"), "k"), "v");
  EXPECT_EQ(DecodeValue(EncodeValue("k", "v"), "j").status().code(), absl::StatusCode::kDataLoss);
}

// Every single-bit flip anywhere in a cell is detected: CRC32C catches all
// errors of up to three bits in messages this short.
RC_GTEST_PROP(RecordsProperty, EveryBitFlipInACellIsDetected,
              (const std::string& payload, uint64_t index, uint64_t term)) {
  const std::string cell = EncodeEntry(LogEntry{index, term, payload});
  const size_t bit = *rc::gen::inRange<size_t>(0, cell.size() * 8);
  std::string flipped = cell;
  flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
  RC_ASSERT(DecodeEntry(flipped, index).status().code() == absl::StatusCode::kDataLoss);
  RC_ASSERT(DecodeEntry(cell, index).ok());
}

RC_GTEST_PROP(RecordsProperty, MutationRoundTrips,
              (bool is_put, const std::string& key, const std::string& value)) {
  const Mutation mutation = is_put ? Mutation::Put(key, value) : Mutation::Delete(key);
  auto decoded = DecodeMutation(EncodeMutation(mutation));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == mutation);
}

// The in-place encoders append exactly the cell that sealing the body
// builds, after whatever `out` already held, and their sizes say so.
RC_GTEST_PROP(RecordsProperty, AppendedCellsAreSealedBodies,
              (const std::string& prefix, const std::string& key, const std::string& value,
               uint64_t index, uint64_t term)) {
  std::string body;
  PutFixed64(body, index);
  PutFixed64(body, term);
  body.append(value);
  std::string out = prefix;
  AppendEntry(out, LogEntry{index, term, value});
  RC_ASSERT(out == prefix + SealCell(body));
  RC_ASSERT(EncodeEntry(LogEntry{index, term, value}) == SealCell(body));
  RC_ASSERT(EntryCellBytes(LogEntry{index, term, value}) == SealCell(body).size());

  body.clear();
  body.push_back(static_cast<char>(Mutation::Kind::kPut));
  PutLengthPrefixed(body, key);
  body.append(value);
  out = prefix;
  AppendMutation(out, Mutation::Put(key, value));
  RC_ASSERT(out == prefix + SealCell(body));
  RC_ASSERT(MutationCellBytes(Mutation::Put(key, value)) == SealCell(body).size());

  const HardState hard_state{term, index, term ^ index};
  body.clear();
  PutFixed64(body, hard_state.term);
  PutFixed64(body, hard_state.vote);
  PutFixed64(body, hard_state.commit);
  out = prefix;
  AppendHardState(out, hard_state);
  RC_ASSERT(out == prefix + SealCell(body));
  RC_ASSERT(kHardStateCellBytes == SealCell(body).size());
}

bool SameEntry(const LogEntryView& a, const LogEntryView& b) {
  return a.index == b.index && a.term == b.term && a.payload.data() == b.payload.data() &&
         a.payload.size() == b.payload.size();
}

bool SameMutation(const MutationView& a, const MutationView& b) {
  return a.kind == b.kind && a.key.data() == b.key.data() && a.key.size() == b.key.size() &&
         a.value.data() == b.value.data() && a.value.size() == b.value.size();
}

// The inline decoders of entry and mutation views against their out-of-line
// versions, which decode everything the long way: on any sealed body (the
// checksum matches, the rest may be anything) and on a corrupted cell, the
// two give the same views or the same error. The Status-free usual cases
// (DecodeIntactEntry, DecodeIntactMutation) accept only what the long way
// accepts, with the same views.
RC_GTEST_PROP(RecordsProperty, InlineViewDecodersMatchTheOutOfLineOnes,
              (const std::string& body, uint64_t other_index, bool index_from_body,
               uint8_t corrupt_at)) {
  std::string cell = SealCell(body);
  if (corrupt_at % 4 == 0) cell[corrupt_at % cell.size()] ^= 0x10;
  const uint64_t expected_index =
      index_from_body && body.size() >= 8 ? DecodeFixed64(body.data()) : other_index;

  const absl::StatusOr<LogEntryView> entry = DecodeEntryView(cell, expected_index);
  const absl::StatusOr<LogEntryView> entry_slow = DecodeEntryViewSlow(cell, expected_index);
  RC_ASSERT(entry.status() == entry_slow.status());
  if (entry.ok()) RC_ASSERT(SameEntry(*entry, *entry_slow));
  LogEntryView intact_entry;
  if (DecodeIntactEntry(cell, expected_index, intact_entry)) {
    RC_ASSERT(entry_slow.ok());
    RC_ASSERT(SameEntry(intact_entry, *entry_slow));
  }

  const absl::StatusOr<MutationView> mutation = DecodeMutationView(cell);
  const absl::StatusOr<MutationView> mutation_slow = DecodeMutationViewSlow(cell);
  RC_ASSERT(mutation.status() == mutation_slow.status());
  if (mutation.ok()) RC_ASSERT(SameMutation(*mutation, *mutation_slow));
  MutationView intact_mutation;
  if (DecodeIntactMutation(cell, intact_mutation)) {
    RC_ASSERT(mutation_slow.ok());
    RC_ASSERT(SameMutation(intact_mutation, *mutation_slow));
  }
}

// Well-formed cells, which random bodies rarely are, decode alike too, and
// the Status-free usual cases take them (and refuse another entry's cell).
RC_GTEST_PROP(RecordsProperty, InlineViewDecodersMatchOnWellFormedCells,
              (uint64_t index, uint64_t term, const std::string& key, const std::string& value,
               bool is_put)) {
  const std::string entry_cell = EncodeEntry(LogEntry{index, term, value});
  const absl::StatusOr<LogEntryView> entry = DecodeEntryView(entry_cell, index);
  RC_ASSERT(entry.ok());
  RC_ASSERT(entry->index == index);
  RC_ASSERT(entry->term == term);
  RC_ASSERT(entry->payload == value);
  RC_ASSERT(DecodeEntryView(entry_cell, index + 1).status() ==
            DecodeEntryViewSlow(entry_cell, index + 1).status());
  LogEntryView intact_entry;
  RC_ASSERT(DecodeIntactEntry(entry_cell, index, intact_entry));
  RC_ASSERT(SameEntry(intact_entry, *entry));
  RC_ASSERT(!DecodeIntactEntry(entry_cell, index + 1, intact_entry));

  const Mutation written = is_put ? Mutation::Put(key, value) : Mutation::Delete(key);
  const std::string mutation_cell = EncodeMutation(written);
  const absl::StatusOr<MutationView> mutation = DecodeMutationView(mutation_cell);
  RC_ASSERT(mutation.ok());
  RC_ASSERT(mutation->kind == written.kind);
  RC_ASSERT(mutation->key == written.key);
  RC_ASSERT(mutation->value == written.value);
  MutationView intact_mutation;
  RC_ASSERT(DecodeIntactMutation(mutation_cell, intact_mutation));
  RC_ASSERT(SameMutation(intact_mutation, *mutation));
}

}  // namespace
}  // namespace kv::storage
