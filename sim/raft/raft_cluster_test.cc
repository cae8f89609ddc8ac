// RaftCluster's append hold, the lever of the Figure 8 nemesis: while a hold
// is set, the leader's appends carrying entries of the held term, and every
// append to a shielded member, are lost at the sender; releasing the hold
// lets the group catch up.
#include "sim/raft/raft_cluster.h"

#include <gtest/gtest.h>

#include "properties/raft/raft_checker.h"
#include "sim/scheduler.h"

namespace kv::sim {
namespace {

using env::kMillisecond;

class RaftClusterHoldTest : public ::testing::Test {
 protected:
  RaftClusterHoldTest() : cluster_(scheduler_, env::Random(42), Options(), checker_) {
    scheduler_.SetAfterEventHook([this] { cluster_.ObserveAll(); });
    cluster_.Start();
  }

  static RaftClusterOptions Options() {
    RaftClusterOptions options;
    options.members = 3;
    options.max_size_per_msg_bytes = 1;  // One entry per append.
    return options;
  }

  // Runs until a leader is elected; returns it.
  env::NodeId ElectLeader() {
    for (int step = 0; step < 200 && cluster_.LeaderNode() < 0; ++step) RunFor(10 * kMillisecond);
    const int leader = cluster_.LeaderNode();
    EXPECT_GE(leader, 0);
    RunFor(100 * kMillisecond);  // Its no-op commits everywhere.
    return static_cast<env::NodeId>(leader);
  }

  void RunFor(env::DurationNs duration_ns) { scheduler_.RunUntil(scheduler_.now_ns() + duration_ns); }

  env::NodeId Other(env::NodeId leader, int which) const {
    int seen = 0;
    for (int i = 0; i < cluster_.member_count(); ++i) {
      if (static_cast<env::NodeId>(i) != leader && seen++ == which) return static_cast<env::NodeId>(i);
    }
    return leader;
  }

  Scheduler scheduler_;
  properties::RaftChecker checker_;
  RaftCluster cluster_;
};

TEST_F(RaftClusterHoldTest, EntriesOfTheHeldTermStayOnTheLeaderUntilReleased) {
  const env::NodeId leader = ElectLeader();
  const env::NodeId a = Other(leader, 0), b = Other(leader, 1);
  const uint64_t before = cluster_.LastIndex(leader);
  ASSERT_EQ(cluster_.LastIndex(a), before);
  ASSERT_EQ(cluster_.CommitIndex(leader), before);

  cluster_.HoldAppends(leader, cluster_.Term(leader), {});
  cluster_.ProposeAt(leader, "held-1");
  cluster_.ProposeAt(leader, "held-2");
  RunFor(50 * kMillisecond);
  EXPECT_EQ(cluster_.LastIndex(leader), before + 2);
  EXPECT_EQ(cluster_.LastIndex(a), before);
  EXPECT_EQ(cluster_.LastIndex(b), before);
  EXPECT_EQ(cluster_.CommitIndex(leader), before);  // Nothing can commit.
  EXPECT_GT(cluster_.stats().appends_held, 0u);
  EXPECT_EQ(cluster_.LeaderNode(), static_cast<int>(leader));  // Heartbeats still pass.

  cluster_.ReleaseAppends();
  RunFor(200 * kMillisecond);
  EXPECT_EQ(cluster_.LastIndex(a), before + 2);
  EXPECT_EQ(cluster_.LastIndex(b), before + 2);
  EXPECT_EQ(cluster_.CommitIndex(leader), before + 2);
  EXPECT_EQ(cluster_.TermAt(a, before + 2), cluster_.Term(leader));
  EXPECT_TRUE(checker_.ok()) << checker_.first_violation();
}

TEST_F(RaftClusterHoldTest, AShieldedMemberGetsNoAppendsWhileOthersDo) {
  const env::NodeId leader = ElectLeader();
  const env::NodeId shielded = Other(leader, 0), other = Other(leader, 1);
  const uint64_t before = cluster_.LastIndex(leader);

  // A held term above the current one holds no entry by its term: only the
  // shielded member loses appends.
  cluster_.HoldAppends(leader, cluster_.Term(leader) + 1, {shielded});
  cluster_.ProposeAt(leader, "to-other-only");
  RunFor(50 * kMillisecond);
  EXPECT_EQ(cluster_.LastIndex(other), before + 1);
  EXPECT_EQ(cluster_.LastIndex(shielded), before);
  EXPECT_EQ(cluster_.CommitIndex(leader), before + 1);  // The leader and `other` are a majority.
  EXPECT_GT(cluster_.stats().appends_held, 0u);

  cluster_.ReleaseAppends();
  RunFor(200 * kMillisecond);
  EXPECT_EQ(cluster_.LastIndex(shielded), before + 1);
  EXPECT_EQ(cluster_.TermAt(shielded, before + 1), cluster_.TermAt(leader, before + 1));
  EXPECT_TRUE(checker_.ok()) << checker_.first_violation();
}

TEST_F(RaftClusterHoldTest, TermAtAndCommitIndexAreZeroForADownMember) {
  const env::NodeId leader = ElectLeader();
  const env::NodeId follower = Other(leader, 0);
  ASSERT_GT(cluster_.TermAt(follower, 1), 0u);
  ASSERT_TRUE(cluster_.Crash(follower));
  EXPECT_EQ(cluster_.TermAt(follower, 1), 0u);
  EXPECT_EQ(cluster_.CommitIndex(follower), 0u);
  EXPECT_EQ(cluster_.TermAt(leader, cluster_.LastIndex(leader) + 1), 0u);  // Past the end.
}

}  // namespace
}  // namespace kv::sim
