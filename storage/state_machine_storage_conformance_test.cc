// The StateMachineStorage contract (state_machine_storage.h), run against
// every backend.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/testing/conformance_backends.h"

namespace kv::storage {
namespace {

using testing::Await;

template <typename Harness>
class StateMachineConformanceTest : public ::testing::Test {
 protected:
  std::unique_ptr<StateMachineStorage> Open() {
    auto storage = harness_.OpenStateMachine();
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? *std::move(storage) : nullptr;
  }
  void Restart(std::unique_ptr<StateMachineStorage>& storage) {
    harness_.Drain();
    storage.reset();
    storage = Open();
  }
  absl::Status Apply(StateMachineStorage& storage, ShardId shard, uint64_t applied_index,
                     std::vector<Mutation> mutations) {
    return Await(harness_, [&](env::OnDone done) {
      storage.Apply(shard, applied_index, std::move(mutations), std::move(done));
    });
  }
  absl::Status Install(StateMachineStorage& storage, ShardId shard, ShardImage image) {
    return Await(harness_, [&](env::OnDone done) {
      storage.InstallSnapshot(shard, std::move(image), std::move(done));
    });
  }
  static std::optional<std::string> Get(StateMachineStorage& storage, ShardId shard,
                                        absl::string_view key) {
    auto value = storage.Get(shard, key);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : std::nullopt;
  }
  // Streams a shard out in small chunks and reassembles it.
  static ShardImage StreamOut(StateMachineStorage& storage, ShardId shard) {
    auto reader = storage.ReadSnapshot(shard);
    EXPECT_TRUE(reader.ok()) << reader.status();
    ShardSnapshotAssembler assembler;
    while (reader.ok() && !(*reader)->done()) {
      auto chunk = (*reader)->NextChunk(64);
      EXPECT_TRUE(chunk.ok()) << chunk.status();
      if (!chunk.ok()) break;
      EXPECT_TRUE(assembler.AddChunk(*chunk).ok());
    }
    auto image = std::move(assembler).Finish();
    EXPECT_TRUE(image.ok()) << image.status();
    return image.ok() ? *std::move(image) : ShardImage{};
  }

  Harness harness_;
};

TYPED_TEST_SUITE(StateMachineConformanceTest, testing::ConformanceBackends,
                 testing::BackendNames);

TYPED_TEST(StateMachineConformanceTest, UnknownShardIsEmpty) {
  auto storage = this->Open();
  EXPECT_EQ(storage->AppliedIndex(5), 0u);
  EXPECT_EQ(this->Get(*storage, 5, "k"), std::nullopt);
  EXPECT_TRUE(storage->Shards().empty());
  EXPECT_TRUE(this->StreamOut(*storage, 5).pairs.empty());
}

TYPED_TEST(StateMachineConformanceTest, ApplyIsVisibleAtOnceAndSurvivesRestart) {
  auto storage = this->Open();
  bool completed = false;
  storage->Apply(1, 3, {Mutation::Put("a", "1"), Mutation::Put("b", "2"), Mutation::Delete("a")},
                 [&](absl::Status status) {
                   EXPECT_TRUE(status.ok()) << status;
                   completed = true;
                 });
  EXPECT_FALSE(completed) << "completion ran inline";
  EXPECT_EQ(storage->AppliedIndex(1), 3u);
  EXPECT_EQ(this->Get(*storage, 1, "a"), std::nullopt);
  EXPECT_EQ(this->Get(*storage, 1, "b"), "2");
  ASSERT_TRUE(this->harness_.RunUntil([&] { return completed; }));
  ASSERT_TRUE(this->Apply(*storage, 1, 4, {Mutation::Put("b", std::string("x\0y", 3))}).ok());
  this->Restart(storage);
  EXPECT_EQ(storage->AppliedIndex(1), 4u);
  EXPECT_EQ(this->Get(*storage, 1, "b"), std::string("x\0y", 3));
  EXPECT_EQ(this->Get(*storage, 1, "a"), std::nullopt);
  EXPECT_EQ(storage->Shards(), std::vector<ShardId>{1});
}

TYPED_TEST(StateMachineConformanceTest, GetIntoReusesTheBufferAndLeavesItAloneWhenAbsent) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Apply(*storage, 1, 1,
                          {Mutation::Put("long", std::string(100, 'L')),
                           Mutation::Put("short", std::string("s\0t", 3))})
                  .ok());
  std::string value = "previous";
  absl::StatusOr<bool> found = storage->GetInto(1, "long", value);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(*found);
  EXPECT_EQ(value, std::string(100, 'L'));
  // A shorter value replaces all of a longer one.
  found = storage->GetInto(1, "short", value);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(*found);
  EXPECT_EQ(value, std::string("s\0t", 3));
  // Absent keys and shards: false, the buffer unchanged.
  for (auto [shard, key] : {std::pair<ShardId, const char*>{1, "none"}, {7, "long"}}) {
    found = storage->GetInto(shard, key, value);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_FALSE(*found) << shard << " " << key;
    EXPECT_EQ(value, std::string("s\0t", 3));
  }
}

TYPED_TEST(StateMachineConformanceTest, AppliedIndexMustGrow) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Apply(*storage, 1, 5, {Mutation::Put("k", "v")}).ok());
  EXPECT_EQ(this->Apply(*storage, 1, 5, {Mutation::Put("k", "w")}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->Get(*storage, 1, "k"), "v");
  EXPECT_TRUE(this->Apply(*storage, 1, 6, {}).ok()) << "an entry with no mutations";
  EXPECT_EQ(storage->AppliedIndex(1), 6u);
}

TYPED_TEST(StateMachineConformanceTest, ShardsAreIsolated) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Apply(*storage, 1, 1, {Mutation::Put("k", "one")}).ok());
  ASSERT_TRUE(this->Apply(*storage, 2, 9, {Mutation::Put("k", "two")}).ok());
  ASSERT_TRUE(this->Apply(*storage, 256, 1, {Mutation::Put("k2", "x")}).ok());
  ASSERT_TRUE(this->Apply(*storage, 2, 10, {Mutation::Delete("k")}).ok());
  this->Restart(storage);
  EXPECT_EQ(this->Get(*storage, 1, "k"), "one");
  EXPECT_EQ(this->Get(*storage, 2, "k"), std::nullopt);
  EXPECT_EQ(storage->AppliedIndex(2), 10u);
  EXPECT_EQ(storage->Shards(), (std::vector<ShardId>{1, 2, 256}));
  EXPECT_EQ(this->StreamOut(*storage, 1).pairs, (std::vector<KeyValue>{{"k", "one"}}));
}

// A node may hold hundreds of shards: each keeps its own index and values,
// before and after a restart (the simulated backend looks a few shards up
// by a scan and many through its map).
TYPED_TEST(StateMachineConformanceTest, ManyShardsEachKeepTheirOwn) {
  auto storage = this->Open();
  constexpr ShardId kShards = 40;
  for (ShardId shard = 1; shard <= kShards; ++shard) {
    ASSERT_TRUE(this->Apply(*storage, shard, shard + 1, {Mutation::Put("k", std::to_string(shard))}).ok());
    EXPECT_EQ(storage->AppliedIndex(shard), shard + 1);
    EXPECT_EQ(this->Get(*storage, 1, "k"), "1");
  }
  this->Restart(storage);
  for (ShardId shard = 1; shard <= kShards; ++shard) {
    EXPECT_EQ(storage->AppliedIndex(shard), shard + 1);
    EXPECT_EQ(this->Get(*storage, shard, "k"), std::to_string(shard));
  }
  EXPECT_EQ(storage->AppliedIndex(kShards + 1), 0u);
  EXPECT_EQ(this->Get(*storage, kShards + 1, "k"), std::nullopt);
  EXPECT_EQ(storage->Shards().size(), size_t{kShards});
}

TYPED_TEST(StateMachineConformanceTest, SnapshotIsPointInTimeAndInstallsElsewhere) {
  auto storage = this->Open();
  std::vector<Mutation> puts;
  std::vector<KeyValue> expected;
  for (int i = 0; i < 40; ++i) {
    const std::string key = absl::StrCat("key", 100 + i);
    puts.push_back(Mutation::Put(key, absl::StrCat("v", i)));
    expected.push_back(KeyValue{key, absl::StrCat("v", i)});
  }
  ASSERT_TRUE(this->Apply(*storage, 1, 7, puts).ok());
  auto reader = storage->ReadSnapshot(1);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->applied_index(), 7u);
  // Writes after the snapshot was taken must not leak into it.
  ASSERT_TRUE(this->Apply(*storage, 1, 8, {Mutation::Delete("key100"), Mutation::Put("zz", "z")})
                  .ok());
  ShardSnapshotAssembler assembler;
  int chunks = 0;
  while (!(*reader)->done()) {
    auto chunk = (*reader)->NextChunk(64);
    ASSERT_TRUE(chunk.ok());
    ASSERT_TRUE(assembler.AddChunk(*chunk).ok());
    ++chunks;
  }
  EXPECT_GT(chunks, 5);
  reader->reset();
  ShardImage image = *std::move(assembler).Finish();
  EXPECT_EQ(image.applied_index, 7u);
  EXPECT_EQ(image.pairs, expected);
  // Install into another shard that already holds other keys.
  ASSERT_TRUE(this->Apply(*storage, 3, 2, {Mutation::Put("stale", "x")}).ok());
  ASSERT_TRUE(this->Install(*storage, 3, image).ok());
  EXPECT_EQ(this->Get(*storage, 3, "stale"), std::nullopt);
  this->Restart(storage);
  EXPECT_EQ(storage->AppliedIndex(3), 7u);
  EXPECT_EQ(this->StreamOut(*storage, 3).pairs, expected);
  EXPECT_EQ(this->Get(*storage, 1, "key100"), std::nullopt);
  image.applied_index = 7;
  EXPECT_EQ(this->Install(*storage, 3, image).code(), absl::StatusCode::kFailedPrecondition);
}

TYPED_TEST(StateMachineConformanceTest, AcknowledgedAppliesSurviveACrash) {
  auto storage = this->Open();
  for (uint64_t index = 1; index <= 20; ++index) {
    ASSERT_TRUE(this->Apply(*storage, index % 3, index,
                            {Mutation::Put(absl::StrCat("k", index), std::to_string(index))})
                    .ok());
  }
  storage.reset();
  this->harness_.Crash();
  storage = this->Open();
  for (uint64_t index = 1; index <= 20; ++index) {
    EXPECT_EQ(this->Get(*storage, index % 3, absl::StrCat("k", index)), std::to_string(index));
  }
  EXPECT_EQ(storage->AppliedIndex(2), 20u);
}

TYPED_TEST(StateMachineConformanceTest, ManyOverwritesSurviveRestarts) {
  // Enough dead data that backends rewrite or compact their files.
  auto storage = this->Open();
  const std::string value(2000, 'v');
  uint64_t index = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 60; ++i) {
      ++index;
      ASSERT_TRUE(this->Apply(*storage, 1, index,
                              {Mutation::Put(absl::StrCat("k", i % 5), absl::StrCat(value, index))})
                      .ok());
    }
    this->Restart(storage);
    EXPECT_EQ(storage->AppliedIndex(1), index);
    EXPECT_EQ(this->Get(*storage, 1, "k4"), absl::StrCat(value, index));
    EXPECT_EQ(this->StreamOut(*storage, 1).pairs.size(), 5u);
  }
}

}  // namespace
}  // namespace kv::storage
