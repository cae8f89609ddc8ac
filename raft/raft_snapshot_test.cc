// Snapshots and log compaction with chunked InstallSnapshot (thesis 5.3).
#include <gtest/gtest.h>

#include "raft/raft.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::TestCluster;

// A 3-member cluster where member 3 missed entries that the leader has
// compacted away, so it can only catch up through a snapshot.
class RaftSnapshotTest : public ::testing::Test {
 protected:
  RaftSnapshotTest()
      : cluster_({1, 2, 3}, [](Config& c) { c.snapshot_chunk_size_bytes = 8; }) {
    cluster_.ElectLeader(1);
    cluster_.Isolate(3);
    for (int i = 0; i < 10; ++i) {
      cluster_.ProposeAndCommit(1, "command" + std::to_string(i));
    }
    cluster_.CompactLog(1);
    snapshot_size_ = cluster_.storage(1).snapshot().metadata().size_bytes();
    // Cut off for two ticks: the leader looks for lost appends only after a
    // member has not answered one for a tick (Raft::AppendDueOnHeartbeat).
    cluster_.TickAll(2);
    cluster_.Stabilize();
    cluster_.Heal();
  }

  TestCluster cluster_;
  uint64_t snapshot_size_ = 0;
};

TEST_F(RaftSnapshotTest, FollowerBehindCompactionReceivesSnapshot) {
  int chunks = 0;
  cluster_.SetFilter([&](const Message& m) {
    if (m.type() == MSG_SNAP) ++chunks;
    return false;
  });
  cluster_.TickAll();
  cluster_.Stabilize();
  EXPECT_EQ(cluster_.applied(3), cluster_.applied(1));
  EXPECT_EQ(cluster_.storage(3).snapshot().metadata().index(),
            cluster_.storage(1).snapshot().metadata().index());
  // Chunks of at most 8 bytes cover the whole snapshot.
  EXPECT_EQ(chunks, static_cast<int>((snapshot_size_ + 7) / 8));
}

TEST_F(RaftSnapshotTest, FollowerWaitsWhileNoSnapshotCanBeHadThenReceivesOne) {
  int chunks = 0;
  cluster_.SetFilter([&](const Message& m) {
    if (m.type() == MSG_SNAP) ++chunks;
    return false;
  });
  // The host cannot make a snapshot: the leader sends none and goes on
  // serving (before, it took this for a broken invariant and aborted).
  cluster_.storage(1).set_snapshot_unavailable(true);
  for (int i = 0; i < 3; ++i) {
    cluster_.TickAll();
    cluster_.Stabilize();
  }
  EXPECT_EQ(chunks, 0);
  EXPECT_LT(cluster_.applied(3).size(), cluster_.applied(1).size());
  EXPECT_EQ(cluster_.node(1).role(), Role::kLeader);
  // Once it can, a later heartbeat response brings the follower its snapshot.
  cluster_.storage(1).set_snapshot_unavailable(false);
  cluster_.TickAll();
  cluster_.Stabilize();
  EXPECT_GT(chunks, 0);
  EXPECT_EQ(cluster_.applied(3), cluster_.applied(1));
}

TEST_F(RaftSnapshotTest, TransferUnavailableMidWayIsAbandonedThenRestarted) {
  // Half the chunks go, then the host can give no more: the transfer is
  // dropped rather than aborting the leader, and starts over later.
  int chunks = 0;
  cluster_.SetFilter([&](const Message& m) {
    if (m.type() == MSG_SNAP && ++chunks == 2) cluster_.storage(1).set_snapshot_unavailable(true);
    return false;
  });
  cluster_.TickAll();
  cluster_.Stabilize();
  EXPECT_EQ(chunks, 2);
  EXPECT_LT(cluster_.applied(3).size(), cluster_.applied(1).size());
  cluster_.storage(1).set_snapshot_unavailable(false);
  cluster_.TickAll();
  cluster_.Stabilize();
  EXPECT_EQ(cluster_.applied(3), cluster_.applied(1));
}

TEST_F(RaftSnapshotTest, TransferToAMemberSilentForAnElectionTimeoutIsAbandoned) {
  // Member 3 falls silent right after the first chunk leaves: nothing
  // reaches it and nothing comes back.
  bool silent = false;
  cluster_.SetFilter([&](const Message& m) {
    if (m.type() == MSG_SNAP && m.to() == 3) silent = true;
    return silent && (m.to() == 3 || m.from() == 3);
  });
  cluster_.TickAll();
  cluster_.Stabilize();
  ASSERT_TRUE(silent);
  const Progress& progress = cluster_.node(1).tracker().progress().at(3);
  ASSERT_EQ(progress.state, ProgressState::kSnapshot);
  // Members 1 and 2 go on (member 3, cut off, is not ticked: it would only
  // campaign). Within two election timeouts the transfer is abandoned, and
  // no probe goes to the member while it says nothing.
  int sent_to_3 = 0;
  cluster_.SetFilter([&](const Message& m) {
    if (m.to() == 3 && m.type() != MSG_HEARTBEAT) ++sent_to_3;
    return m.to() == 3 || m.from() == 3;
  });
  for (int i = 0; i < 2 * 10; ++i) {
    cluster_.Tick(1);
    cluster_.Tick(2);
    cluster_.Stabilize();
  }
  EXPECT_EQ(cluster_.node(1).role(), Role::kLeader);
  EXPECT_EQ(progress.state, ProgressState::kProbe);
  EXPECT_EQ(progress.pending_snapshot_index, 0u);
  EXPECT_EQ(sent_to_3, 0);
  // Back, it answers a heartbeat and gets a new snapshot.
  cluster_.SetFilter([](const Message&) { return false; });
  cluster_.TickAll();
  cluster_.Stabilize();
  EXPECT_EQ(cluster_.applied(3), cluster_.applied(1));
}

TEST_F(RaftSnapshotTest, ChunksNeverExceedTheConfiguredSize) {
  uint64_t largest = 0;
  cluster_.SetFilter([&](const Message& m) {
    if (m.type() == MSG_SNAP) {
      largest = std::max<uint64_t>(largest, m.snapshot_data().size());
    }
    return false;
  });
  cluster_.TickAll();
  cluster_.Stabilize();
  EXPECT_EQ(largest, 8u);
}

TEST_F(RaftSnapshotTest, LostChunkIsResentFromTheAcknowledgedOffset) {
  bool dropped = false;
  uint64_t resent_offset = 0;
  int sends_at_offset_16 = 0;
  cluster_.SetFilter([&](const Message& m) {
    if (m.type() != MSG_SNAP) return false;
    if (m.snapshot_offset() == 16) ++sends_at_offset_16;
    if (!dropped && m.snapshot_offset() == 16) {
      dropped = true;
      return true;
    }
    if (dropped && resent_offset == 0) resent_offset = m.snapshot_offset();
    return false;
  });
  cluster_.TickAll();
  cluster_.Stabilize();
  EXPECT_EQ(cluster_.applied(3).size(), 0u);  // Stalled on the lost chunk.
  cluster_.Tick(1);  // A heartbeat round resumes the transfer.
  cluster_.Stabilize();
  EXPECT_TRUE(dropped);
  EXPECT_EQ(resent_offset, 16u);
  EXPECT_EQ(sends_at_offset_16, 2);
  EXPECT_EQ(cluster_.applied(3), cluster_.applied(1));
}

TEST_F(RaftSnapshotTest, FollowerRestartedMidTransferStartsOver) {
  int chunks_seen = 0;
  cluster_.SetFilter([&](const Message& m) {
    if (m.type() == MSG_SNAP) ++chunks_seen;
    // Stop after two chunks.
    return m.type() == MSG_SNAP && chunks_seen > 2;
  });
  cluster_.TickAll();
  cluster_.Stabilize();
  cluster_.Restart(3);
  uint64_t first_offset_after_restart = UINT64_MAX;
  cluster_.SetFilter([&](const Message& m) {
    if (m.type() == MSG_SNAP && first_offset_after_restart == UINT64_MAX &&
        m.to() == 3) {
      first_offset_after_restart = m.snapshot_offset();
    }
    return false;
  });
  for (int i = 0; i < 3; ++i) {
    cluster_.Tick(1);
    cluster_.Stabilize();
  }
  EXPECT_EQ(cluster_.applied(3), cluster_.applied(1));
  // The follower answered the resumed chunk with offset 0.
  EXPECT_EQ(cluster_.storage(3).snapshot().metadata().index(),
            cluster_.storage(1).snapshot().metadata().index());
  EXPECT_NE(first_offset_after_restart, UINT64_MAX);
}

TEST_F(RaftSnapshotTest, FollowerReplicatesNormallyAfterInstalling) {
  cluster_.TickAll();
  cluster_.Stabilize();
  cluster_.ProposeAndCommit(1, "after");
  EXPECT_EQ(cluster_.applied(3).back(), "after");
  EXPECT_EQ(cluster_.node(1).tracker().progress().at(3).state,
            ProgressState::kReplicate);
}

TEST(RaftSnapshotStaleTest, StaleSnapshotIsAnsweredWithCommitIndex) {
  TestCluster cluster({1, 2});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  Message snap;
  snap.set_type(MSG_SNAP);
  snap.set_from(1);
  snap.set_to(2);
  snap.set_term(cluster.node(2).term());
  snap.mutable_snapshot_metadata()->set_index(1);
  snap.mutable_snapshot_metadata()->set_term(1);
  snap.set_snapshot_done(true);
  ASSERT_TRUE(cluster.node(2).Step(snap).ok());
  Ready ready = cluster.node(2).GetReady();
  ASSERT_EQ(ready.messages_after_persist.size(), 1u);
  EXPECT_EQ(ready.messages_after_persist[0].type(), MSG_APP_RESP);
  EXPECT_EQ(ready.messages_after_persist[0].index(),
            cluster.node(2).log().committed());
  EXPECT_FALSE(ready.snapshot.has_value());
  cluster.node(2).Advance(ready);
}

TEST(RaftSnapshotStaleTest, OutOfOrderChunkAsksToResume) {
  TestCluster cluster({1, 2});
  cluster.ElectLeader(1);
  Message snap;
  snap.set_type(MSG_SNAP);
  snap.set_from(1);
  snap.set_to(2);
  snap.set_term(cluster.node(2).term());
  snap.mutable_snapshot_metadata()->set_index(50);
  snap.mutable_snapshot_metadata()->set_term(1);
  snap.mutable_snapshot_metadata()->set_size_bytes(100);
  snap.set_snapshot_offset(40);
  snap.set_snapshot_data("0123456789");
  ASSERT_TRUE(cluster.node(2).Step(snap).ok());
  Ready ready = cluster.node(2).GetReady();
  ASSERT_EQ(ready.messages_after_persist.size(), 1u);
  EXPECT_EQ(ready.messages_after_persist[0].type(), MSG_SNAP_RESP);
  EXPECT_EQ(ready.messages_after_persist[0].snapshot_offset(), 0u);
  cluster.node(2).Advance(ready);
}

}  // namespace
}  // namespace kv::raft
