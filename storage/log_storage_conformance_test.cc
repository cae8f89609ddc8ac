// The LogStorage contract (log_storage.h), run against every backend.

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/testing/conformance_backends.h"

namespace kv::storage {
namespace {

using testing::Await;

template <typename Harness>
class LogStorageConformanceTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogStorage> Open(GroupId group = 1) {
    auto storage = harness_.OpenLog(group);
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? *std::move(storage) : nullptr;
  }

  // Closes and reopens after every completion has run: a clean restart.
  void Restart(std::unique_ptr<LogStorage>& storage, GroupId group = 1) {
    harness_.Drain();
    storage.reset();
    storage = Open(group);
  }

  absl::Status Write(LogStorage& storage, const LogWrite& write) {
    return Await(harness_, [&](env::OnDone done) { storage.Write(write, std::move(done)); });
  }
  absl::Status Append(LogStorage& storage, uint64_t first, std::vector<uint64_t> terms,
                      const std::string& tag = "e") {
    LogWrite write;
    for (uint64_t term : terms) {
      const uint64_t index = first + write.entries.size();
      write.entries.push_back(LogEntry{index, term, tag + std::to_string(index)});
    }
    return Write(storage, std::move(write));
  }
  absl::Status Snapshot(LogStorage& storage, uint64_t index, uint64_t term, std::string data) {
    return Await(harness_, [&](env::OnDone done) {
      storage.SaveSnapshot(LogSnapshot{SnapshotMetadata{index, term, "conf"}, std::move(data)},
                           std::move(done));
    });
  }
  absl::Status Compact(LogStorage& storage, uint64_t index) {
    return Await(harness_, [&](env::OnDone done) { storage.Compact(index, std::move(done)); });
  }
  static std::vector<uint64_t> Terms(LogStorage& storage) {
    std::vector<uint64_t> terms;
    auto entries = storage.Entries(storage.FirstIndex(), storage.LastIndex() + 1, 0);
    EXPECT_TRUE(entries.ok()) << entries.status();
    if (!entries.ok()) return terms;
    for (const LogEntry& entry : *entries) terms.push_back(entry.term);
    return terms;
  }

  Harness harness_;
};

TYPED_TEST_SUITE(LogStorageConformanceTest, testing::ConformanceBackends,
                 testing::BackendNames);

TYPED_TEST(LogStorageConformanceTest, EmptyLogStartsAtIndexOne) {
  auto storage = this->Open();
  EXPECT_EQ(storage->FirstIndex(), 1u);
  EXPECT_EQ(storage->LastIndex(), 0u);
  EXPECT_EQ(*storage->Term(0), 0u);
  EXPECT_EQ(storage->hard_state(), HardState{});
  EXPECT_EQ(storage->snapshot_metadata().index, 0u);
  EXPECT_EQ(storage->LoadSnapshot().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(storage->Term(1).status().code(), absl::StatusCode::kOutOfRange);
}

TYPED_TEST(LogStorageConformanceTest, WriteIsVisibleAtOnceAndCompletesLater) {
  auto storage = this->Open();
  bool completed = false;
  LogWrite write;
  write.hard_state = HardState{2, 7, 0};
  write.entries = {LogEntry{1, 1, "a"}, LogEntry{2, 2, "b"}};
  storage->Write(write, [&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    completed = true;
  });
  EXPECT_FALSE(completed) << "completion ran inline";
  EXPECT_EQ(storage->LastIndex(), 2u);
  EXPECT_EQ(storage->hard_state(), (HardState{2, 7, 0}));
  EXPECT_TRUE(this->harness_.RunUntil([&] { return completed; }));
  auto entries = storage->Entries(1, 3, 0);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(*entries, write.entries);
}

// Storage reads a write only during the call: the host refills one LogWrite
// for every Ready, before the previous write has completed.
TYPED_TEST(LogStorageConformanceTest, AWriteMayBeRefilledBeforeItCompletes) {
  auto storage = this->Open();
  LogWrite write;
  write.hard_state = HardState{1, 1, 0};
  write.entries = {LogEntry{1, 1, "first"}, LogEntry{2, 1, "second"}};
  int completed = 0;
  auto done = [&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    ++completed;
  };
  storage->Write(write, done);
  write.hard_state = HardState{2, 0, 1};
  write.entries.resize(1);
  write.entries[0].index = 3;
  write.entries[0].term = 2;
  write.entries[0].payload.assign("3rd");
  storage->Write(write, done);
  EXPECT_TRUE(this->harness_.RunUntil([&] { return completed == 2; }));
  const std::vector<LogEntry> expected = {LogEntry{1, 1, "first"}, LogEntry{2, 1, "second"},
                                          LogEntry{3, 2, "3rd"}};
  EXPECT_EQ(*storage->Entries(1, 4, 0), expected);
  this->Restart(storage);
  EXPECT_EQ(storage->hard_state(), (HardState{2, 0, 1}));
  EXPECT_EQ(*storage->Entries(1, 4, 0), expected);
}

TYPED_TEST(LogStorageConformanceTest, EverythingSurvivesARestart) {
  auto storage = this->Open();
  LogWrite write;
  write.hard_state = HardState{3, 2, 2};
  write.entries = {LogEntry{1, 1, "a"}, LogEntry{2, 3, std::string("b\0c", 3)}};
  ASSERT_TRUE(this->Write(*storage, write).ok());
  this->Restart(storage);
  EXPECT_EQ(storage->hard_state(), (HardState{3, 2, 2}));
  EXPECT_EQ(storage->LastIndex(), 2u);
  EXPECT_EQ(*storage->Entries(1, 3, 0), write.entries);
}

TYPED_TEST(LogStorageConformanceTest, AppendTruncatesConflictingSuffix) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Append(*storage, 1, {1, 1, 1, 1, 1}).ok());
  ASSERT_TRUE(this->Append(*storage, 3, {2}, "new").ok());
  EXPECT_EQ(storage->LastIndex(), 3u);
  EXPECT_EQ(this->Terms(*storage), (std::vector<uint64_t>{1, 1, 2}));
  this->Restart(storage);
  EXPECT_EQ(storage->LastIndex(), 3u);
  EXPECT_EQ(storage->Entries(3, 4, 0)->front().payload, "new3");
  ASSERT_TRUE(this->Append(*storage, 4, {2, 2}).ok());
  EXPECT_EQ(this->Terms(*storage), (std::vector<uint64_t>{1, 1, 2, 2, 2}));
}

TYPED_TEST(LogStorageConformanceTest, InvalidWritesAreRejectedAndChangeNothing) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Append(*storage, 1, {2, 2}).ok());
  EXPECT_EQ(this->Append(*storage, 4, {2}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->Append(*storage, 3, {1}).code(), absl::StatusCode::kInvalidArgument);
  LogWrite gap;
  gap.entries = {LogEntry{3, 2, "x"}, LogEntry{5, 2, "y"}};
  EXPECT_EQ(this->Write(*storage, gap).code(), absl::StatusCode::kInvalidArgument);
  LogWrite term_down;
  term_down.hard_state = HardState{5, 0, 0};
  ASSERT_TRUE(this->Write(*storage, term_down).ok());
  term_down.hard_state = HardState{4, 0, 0};
  EXPECT_EQ(this->Write(*storage, term_down).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(storage->LastIndex(), 2u);
  EXPECT_EQ(storage->hard_state().term, 5u);
  // The storage stays usable after bad input.
  EXPECT_TRUE(this->Append(*storage, 3, {2}).ok());
}

TYPED_TEST(LogStorageConformanceTest, EntriesHonoursRangeAndByteLimit) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Append(*storage, 1, {1, 1, 1, 1}).ok());  // Payloads "e1".."e4", 2 bytes.
  EXPECT_EQ(storage->Entries(1, 5, 5)->size(), 2u);
  EXPECT_EQ(storage->Entries(1, 5, 1)->size(), 1u) << "at least one entry";
  EXPECT_EQ(storage->Entries(2, 2, 0)->size(), 0u);
  EXPECT_EQ(storage->Entries(0, 2, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(storage->Entries(1, 6, 0).status().code(), absl::StatusCode::kOutOfRange);
}

TYPED_TEST(LogStorageConformanceTest, LocalSnapshotKeepsLogAndAllowsCompaction) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Append(*storage, 1, {1, 1, 2, 2, 3}).ok());
  EXPECT_EQ(this->Compact(*storage, 2).code(), absl::StatusCode::kFailedPrecondition)
      << "no snapshot covers index 2 yet";
  ASSERT_TRUE(this->Snapshot(*storage, 3, 2, "state@3").ok());
  EXPECT_EQ(storage->LastIndex(), 5u);
  EXPECT_EQ(storage->FirstIndex(), 1u);
  ASSERT_TRUE(this->Compact(*storage, 3).ok());
  EXPECT_EQ(storage->FirstIndex(), 4u);
  EXPECT_EQ(*storage->Term(3), 2u);
  EXPECT_EQ(storage->Term(2).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(storage->Entries(3, 5, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(this->Compact(*storage, 2).ok()) << "compacting below the base is a no-op";
  this->Restart(storage);
  EXPECT_EQ(storage->FirstIndex(), 4u);
  EXPECT_EQ(storage->LastIndex(), 5u);
  EXPECT_EQ(*storage->Term(3), 2u);
  EXPECT_EQ(this->Terms(*storage), (std::vector<uint64_t>{2, 3}));
  auto snapshot = storage->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->metadata, (SnapshotMetadata{3, 2, "conf"}));
  EXPECT_EQ(snapshot->data, "state@3");
}

TYPED_TEST(LogStorageConformanceTest, ACompactionPointWithoutDataReplacesASnapshotWithData) {
  // The KV replica stores a received snapshot with its data, and later
  // compaction points with none (its state machine storage holds the state):
  // the point replaces the data, and both survive a restart as stored.
  auto storage = this->Open();
  ASSERT_TRUE(this->Snapshot(*storage, 4, 2, std::string(3000, 'r')).ok());
  ASSERT_TRUE(this->Append(*storage, 5, {2, 2, 3}).ok());
  ASSERT_TRUE(this->Snapshot(*storage, 6, 2, "").ok());
  ASSERT_TRUE(this->Compact(*storage, 6).ok());
  EXPECT_EQ(storage->FirstIndex(), 7u);
  EXPECT_EQ(this->Terms(*storage), (std::vector<uint64_t>{3}));
  this->Restart(storage);
  EXPECT_EQ(storage->FirstIndex(), 7u);
  EXPECT_EQ(*storage->Term(6), 2u);
  auto snapshot = storage->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->metadata, (SnapshotMetadata{6, 2, "conf"}));
  EXPECT_EQ(snapshot->data, "");
}

TYPED_TEST(LogStorageConformanceTest, ReceivedSnapshotReplacesTheLog) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Append(*storage, 1, {1, 1, 1}).ok());
  ASSERT_TRUE(this->Snapshot(*storage, 10, 4, std::string(3000, 's')).ok());
  EXPECT_EQ(storage->FirstIndex(), 11u);
  EXPECT_EQ(storage->LastIndex(), 10u);
  EXPECT_EQ(*storage->Term(10), 4u);
  EXPECT_EQ(this->Snapshot(*storage, 10, 4, "old").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(this->Append(*storage, 11, {4, 5}).ok());
  this->Restart(storage);
  EXPECT_EQ(storage->FirstIndex(), 11u);
  EXPECT_EQ(this->Terms(*storage), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(storage->LoadSnapshot()->data, std::string(3000, 's'));
}

TYPED_TEST(LogStorageConformanceTest, GroupsAreIsolated) {
  auto one = this->Open(1);
  auto two = this->Open(2);
  ASSERT_TRUE(this->Append(*one, 1, {1, 1}).ok());
  ASSERT_TRUE(this->Append(*two, 1, {7}).ok());
  ASSERT_TRUE(this->Snapshot(*two, 1, 7, "two").ok());
  ASSERT_TRUE(this->Compact(*two, 1).ok());
  this->harness_.Drain();
  one.reset();
  two.reset();
  one = this->Open(1);
  two = this->Open(2);
  EXPECT_EQ(this->Terms(*one), (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(one->snapshot_metadata().index, 0u);
  EXPECT_EQ(two->FirstIndex(), 2u);
  EXPECT_EQ(*two->Term(1), 7u);
}

TYPED_TEST(LogStorageConformanceTest, CompletionsKeepIssueOrderAndShareSyncs) {
  auto storage = this->Open();
  const int64_t syncs_before = this->harness_.sync_count();
  std::vector<int> completed;
  constexpr int kWrites = 64;
  // The simulated disk's sync latency makes writes queue behind the first
  // sync; a real disk may be fast enough (tmpfs) to sync each one, so hold
  // its syncer while the burst is issued.
  this->harness_.HoldSyncs(true);
  for (int i = 0; i < kWrites; ++i) {
    LogWrite write;
    write.entries.push_back(LogEntry{static_cast<uint64_t>(i) + 1, 1, "x"});
    storage->Write(write, [&completed, i](absl::Status status) {
      EXPECT_TRUE(status.ok()) << status;
      completed.push_back(i);
    });
  }
  this->harness_.HoldSyncs(false);
  ASSERT_TRUE(this->harness_.RunUntil([&] { return completed.size() == kWrites; }));
  for (int i = 0; i < kWrites; ++i) EXPECT_EQ(completed[i], i);
  // Group commit: the burst shares at most two syncs (one may have been in
  // flight when it started), not one per write.
  EXPECT_LE(this->harness_.sync_count() - syncs_before, 2);
}

TYPED_TEST(LogStorageConformanceTest, AcknowledgedWritesSurviveACrash) {
  auto storage = this->Open();
  ASSERT_TRUE(this->Append(*storage, 1, {1, 1, 2}).ok());
  LogWrite hard_state;
  hard_state.hard_state = HardState{2, 1, 3};
  ASSERT_TRUE(this->Write(*storage, hard_state).ok());
  ASSERT_TRUE(this->Snapshot(*storage, 2, 1, "snap").ok());
  storage.reset();
  this->harness_.Crash();
  storage = this->Open();
  EXPECT_EQ(this->Terms(*storage), (std::vector<uint64_t>{1, 1, 2}));
  EXPECT_EQ(storage->hard_state(), (HardState{2, 1, 3}));
  EXPECT_EQ(storage->LoadSnapshot()->data, "snap");
}

TYPED_TEST(LogStorageConformanceTest, LongLogWithCompactionsSurvivesRestarts) {
  // Enough data that backends rewrite or compact their files underneath.
  auto storage = this->Open();
  const std::string payload(1000, 'p');
  uint64_t last = 0;
  for (int round = 0; round < 4; ++round) {
    LogWrite write;
    for (int i = 0; i < 60; ++i) write.entries.push_back(LogEntry{++last, 1, payload});
    write.hard_state = HardState{1, 1, last};
    ASSERT_TRUE(this->Write(*storage, write).ok());
    ASSERT_TRUE(this->Snapshot(*storage, last - 10, 1, "s" + std::to_string(last)).ok());
    ASSERT_TRUE(this->Compact(*storage, last - 10).ok());
    this->Restart(storage);
    EXPECT_EQ(storage->FirstIndex(), last - 9);
    EXPECT_EQ(storage->LastIndex(), last);
    auto entries = storage->Entries(last - 9, last + 1, 0);
    ASSERT_TRUE(entries.ok()) << entries.status();
    EXPECT_EQ(entries->size(), 10u);
    EXPECT_EQ(entries->back().payload, payload);
    EXPECT_EQ(storage->LoadSnapshot()->data, "s" + std::to_string(last));
  }
}

}  // namespace
}  // namespace kv::storage
