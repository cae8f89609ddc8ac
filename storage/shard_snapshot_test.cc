#include "storage/shard_snapshot.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kv::storage {
namespace {

class ListSource final : public PairSource {
 public:
  explicit ListSource(std::vector<KeyValue> pairs) : pairs_(std::move(pairs)) {}
  absl::StatusOr<bool> Next(KeyValue& out) override {
    if (next_ == pairs_.size()) return false;
    out = pairs_[next_++];
    return true;
  }

 private:
  std::vector<KeyValue> pairs_;
  size_t next_ = 0;
};

std::vector<std::string> Chunks(const std::vector<KeyValue>& pairs, size_t max_bytes) {
  ShardSnapshotReader reader(42, std::make_unique<ListSource>(pairs));
  std::vector<std::string> chunks;
  while (!reader.done()) chunks.push_back(*reader.NextChunk(max_bytes));
  return chunks;
}

std::vector<KeyValue> SomePairs(int count) {
  std::vector<KeyValue> pairs;
  for (int i = 0; i < count; ++i) {
    pairs.push_back(KeyValue{"key" + std::to_string(1000 + i), std::string(10, 'a' + i % 26)});
  }
  return pairs;
}

TEST(ShardSnapshotTest, StreamsInChunksAndReassembles) {
  const auto pairs = SomePairs(50);
  const auto chunks = Chunks(pairs, 100);
  EXPECT_GT(chunks.size(), 5u);
  ShardSnapshotAssembler assembler;
  for (const auto& chunk : chunks) ASSERT_TRUE(assembler.AddChunk(chunk).ok());
  auto image = std::move(assembler).Finish();
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->applied_index, 42u);
  EXPECT_EQ(image->pairs, pairs);
}

// Pair by pair, a reader gives what its chunks would carry, in order.
TEST(ShardSnapshotTest, PairsOneAtATimeAreTheChunksPairs) {
  const auto pairs = SomePairs(30);
  ShardSnapshotReader reader(42, std::make_unique<ListSource>(pairs));
  std::vector<KeyValue> read;
  KeyValue pair;
  while (true) {
    absl::StatusOr<bool> more = reader.NextPair(pair);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    read.push_back(pair);
  }
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(read, pairs);
  absl::StatusOr<bool> after = reader.NextPair(pair);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(*after);

  ShardSnapshotReader empty(42, std::make_unique<ListSource>(std::vector<KeyValue>{}));
  absl::StatusOr<bool> none = empty.NextPair(pair);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  EXPECT_TRUE(empty.done());
}

TEST(ShardSnapshotTest, EmptyShardIsOneLastChunk) {
  const auto chunks = Chunks({}, 100);
  ASSERT_EQ(chunks.size(), 1u);
  ShardSnapshotAssembler assembler;
  ASSERT_TRUE(assembler.AddChunk(chunks[0]).ok());
  EXPECT_TRUE(assembler.complete());
}

TEST(ShardSnapshotTest, CorruptChunkIsRejectedAndAddsNothing) {
  auto chunks = Chunks(SomePairs(20), 100);
  ShardSnapshotAssembler assembler;
  ASSERT_TRUE(assembler.AddChunk(chunks[0]).ok());
  std::string bad = chunks[1];
  bad[bad.size() / 2] ^= 0x10;
  const absl::Status status = assembler.AddChunk(bad);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("checksum mismatch on snapshot chunk 1"), absl::string_view::npos)
      << status;
  // The stream continues from the good copy.
  for (size_t i = 1; i < chunks.size(); ++i) ASSERT_TRUE(assembler.AddChunk(chunks[i]).ok());
  EXPECT_EQ(std::move(assembler).Finish()->pairs, SomePairs(20));
}

TEST(ShardSnapshotTest, MissingOrReorderedChunksAreRejected) {
  auto chunks = Chunks(SomePairs(20), 100);
  ASSERT_GE(chunks.size(), 3u);
  ShardSnapshotAssembler assembler;
  EXPECT_EQ(assembler.AddChunk(chunks[1]).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(assembler.AddChunk(chunks[0]).ok());
  EXPECT_EQ(assembler.AddChunk(chunks[2]).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::move(assembler).Finish().status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kv::storage
