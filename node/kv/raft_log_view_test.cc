// RaftLogView's reads over the simulated log storage.
#include "node/kv/raft_log_view.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/env/check.h"
#include "node/env/memory_budget.h"
#include "storage/testing/sim_harness.h"

namespace kv::node {
namespace {

raft::Entry MakeEntry(uint64_t index, uint64_t term, raft::EntryType type, std::string data) {
  raft::Entry entry;
  entry.set_index(index);
  entry.set_term(term);
  entry.set_type(type);
  entry.set_data(std::move(data));
  return entry;
}

// A state machine's snapshot source: what it holds is set by the test, and
// it counts the snapshots it makes.
class FakeSnapshotSource final : public SnapshotSource {
 public:
  explicit FakeSnapshotSource(env::MemoryBudget& budget) : budget_(budget) {}
  absl::Status MakeSnapshot(raft::Snapshot& snapshot, env::Reservation& memory) override {
    ++made;
    if (!status.ok()) return status;
    snapshot.mutable_metadata()->set_index(index);
    snapshot.mutable_metadata()->set_term(1);
    snapshot.mutable_metadata()->mutable_conf_state()->add_voters(1);
    snapshot.set_data(absl::StrCat("state at ", index));
    return budget_.ReserveScoped(static_cast<int64_t>(snapshot.data().size()), "snapshot", memory);
  }
  uint64_t index = 0;
  absl::Status status;
  int made = 0;

 private:
  env::MemoryBudget& budget_;
};

// EntriesInto decodes over the buffer's earlier entries to reuse their
// strings: every field of a reused entry must be this read's, including
// those the new entry leaves at their defaults (not on the wire).
TEST(RaftLogViewTest, EntriesIntoLeavesNothingOfTheEntriesItReuses) {
  storage::testing::SimHarness harness;
  absl::StatusOr<std::unique_ptr<storage::LogStorage>> log = harness.OpenLog(1);
  ASSERT_TRUE(log.ok()) << log.status();
  const std::vector<raft::Entry> stored = {
      MakeEntry(1, 1, raft::ENTRY_NORMAL, "first"),
      MakeEntry(2, 1, raft::ENTRY_NORMAL, ""),
      MakeEntry(3, 2, raft::ENTRY_CONF_CHANGE, "c"),
  };
  storage::LogWrite write;
  for (const raft::Entry& e : stored) RaftLogView::ToStorage(e, write.entries.emplace_back());
  bool written = false;
  (*log)->Write(write, [&written](absl::Status s) {
    ASSERT_TRUE(s.ok()) << s;
    written = true;
  });
  ASSERT_TRUE(harness.RunUntil([&written] { return written; }));

  env::MemoryBudget budget(1 << 20);
  FakeSnapshotSource source(budget);
  RaftLogView view(**log, raft::ConfState(), source);
  std::vector<raft::Entry> out(4, MakeEntry(9, 9, raft::ENTRY_CONF_CHANGE, "stale data"));
  ASSERT_TRUE(view.EntriesInto(1, 4, 0, out).ok());
  ASSERT_EQ(out.size(), stored.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(out[i].SerializeAsString(), stored[i].SerializeAsString()) << "entry " << i;
  }
  // A shorter read drops the rest; Entries returns the same entries.
  ASSERT_TRUE(view.EntriesInto(2, 3, 0, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].SerializeAsString(), stored[1].SerializeAsString());
  absl::StatusOr<std::vector<raft::Entry>> fresh = view.Entries(1, 4, 0);
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->size(), stored.size());
  EXPECT_EQ((*fresh)[2].SerializeAsString(), stored[2].SerializeAsString());
}

// A log of entries 1..8 in term 1, compacted through `base` locally: the
// compaction point is stored without data.
class RaftLogViewSnapshotTest : public ::testing::Test {
 protected:
  RaftLogViewSnapshotTest() {
    absl::StatusOr<std::unique_ptr<storage::LogStorage>> log = harness_.OpenLog(1);
    KV_CHECK(log.ok());
    log_ = *std::move(log);
    storage::LogWrite write;
    for (uint64_t i = 1; i <= 8; ++i) {
      RaftLogView::ToStorage(MakeEntry(i, 1, raft::ENTRY_NORMAL, "e"), write.entries.emplace_back());
    }
    log_->Write(write, Expect(absl::OkStatus()));
    CompactTo(3);
  }

  void CompactTo(uint64_t index) {
    storage::LogSnapshot point;
    point.metadata.index = index;
    point.metadata.term = 1;
    raft::ConfState conf;
    for (uint64_t v : {1, 2, 3}) conf.add_voters(v);
    point.metadata.config = conf.SerializeAsString();
    log_->SaveSnapshot(point, Expect(absl::OkStatus()));
    log_->Compact(index, Expect(absl::OkStatus()));
    harness_.Drain();
  }

  static env::OnDone Expect(absl::Status expected) {
    return [expected](absl::Status s) { EXPECT_EQ(s, expected); };
  }

  storage::testing::SimHarness harness_;
  std::unique_ptr<storage::LogStorage> log_;
  env::MemoryBudget budget_{1 << 20};
  FakeSnapshotSource source_{budget_};
};

TEST_F(RaftLogViewSnapshotTest, SnapshotIsMadeWhenAskedForAndKeptWhileItCoversTheCompactionPoint) {
  RaftLogView view(*log_, raft::ConfState(), source_);
  // Compacting made none; the first request does, at the state's index
  // (above the compaction point), with its memory reserved.
  EXPECT_EQ(source_.made, 0);
  source_.index = 5;
  raft::SnapshotMetadata metadata = view.GetSnapshotMetadata();
  EXPECT_EQ(metadata.index(), 5u);
  EXPECT_EQ(metadata.term(), 1u);
  EXPECT_EQ(metadata.size_bytes(), std::string("state at 5").size());
  EXPECT_EQ(budget_.used_bytes(), static_cast<int64_t>(metadata.size_bytes()));
  absl::StatusOr<std::string> chunk = view.SnapshotChunk(5, 0, 5);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, "state");
  // The state moves on; the snapshot being sent stays the same while the
  // log still holds every entry after it.
  source_.index = 7;
  EXPECT_EQ(view.GetSnapshotMetadata().index(), 5u);
  chunk = view.SnapshotChunk(5, 5, 100);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, " at 5");
  EXPECT_EQ(source_.made, 1);
  // Compacted past it: a new one is made, and the old transfer is told so.
  CompactTo(6);
  EXPECT_EQ(view.GetSnapshotMetadata().index(), 7u);
  EXPECT_EQ(source_.made, 2);
  EXPECT_EQ(view.SnapshotChunk(5, 0, 100).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(budget_.used_bytes(), static_cast<int64_t>(std::string("state at 7").size()));
  // A deposed leader lets it go.
  view.ReleaseSnapshot();
  EXPECT_EQ(budget_.used_bytes(), 0);
}

TEST_F(RaftLogViewSnapshotTest, NoSnapshotWhileTheSourceCannotMakeOne) {
  RaftLogView view(*log_, raft::ConfState(), source_);
  source_.index = 5;
  source_.status = absl::UnavailableError("not now");
  EXPECT_EQ(view.GetSnapshotMetadata().index(), 0u);
  EXPECT_FALSE(view.SnapshotChunk(5, 0, 100).ok());
  // A state behind the compaction point would leave a gap: refused too.
  source_.status = absl::OkStatus();
  source_.index = 2;
  EXPECT_EQ(view.GetSnapshotMetadata().index(), 0u);
  // Nor is anything held for them.
  EXPECT_EQ(budget_.used_bytes(), 0);
  // Once it can, it does.
  source_.index = 4;
  EXPECT_EQ(view.GetSnapshotMetadata().index(), 4u);
}

TEST_F(RaftLogViewSnapshotTest, InitialMembershipComesFromTheStoredPointWithoutMakingASnapshot) {
  raft::ConfState bootstrap;
  bootstrap.add_voters(9);
  RaftLogView view(*log_, bootstrap, source_);
  // The membership is the stored compaction point's; learning it makes no
  // snapshot (a restart would otherwise encode every shard).
  const raft::InitialState state = view.GetInitialState();
  EXPECT_EQ(state.conf_state.voters_size(), 3);
  EXPECT_EQ(source_.made, 0);
}

}  // namespace
}  // namespace kv::node
