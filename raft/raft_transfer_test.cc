// Leadership transfer (thesis 3.10).
#include <gtest/gtest.h>

#include "raft/raft.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::TestCluster;

TEST(RaftTransferTest, TransferToUpToDateFollowerSucceeds) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).TransferLeadership(2).ok());
  cluster.Stabilize();
  EXPECT_EQ(cluster.node(2).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(1).role(), Role::kFollower);
  EXPECT_EQ(cluster.node(1).leader_id(), 2u);
}

TEST(RaftTransferTest, TransferWaitsForLaggingTargetToCatchUp) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(3);
  for (int i = 0; i < 5; ++i) cluster.ProposeAndCommit(1, "x");
  cluster.Heal();
  bool timeout_now_before_catch_up = false;
  cluster.SetFilter([&](const Message& m) {
    if (m.type() == MSG_TIMEOUT_NOW &&
        cluster.node(3).log().LastIndex() < cluster.node(1).log().LastIndex()) {
      timeout_now_before_catch_up = true;
    }
    return false;
  });
  ASSERT_TRUE(cluster.node(1).TransferLeadership(3).ok());
  cluster.Stabilize();
  EXPECT_FALSE(timeout_now_before_catch_up);
  EXPECT_EQ(cluster.node(3).role(), Role::kLeader);
  EXPECT_EQ(cluster.applied(3).size(), 5u);
}

TEST(RaftTransferTest, ProposalsAreRefusedDuringTransfer) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(2);
  ASSERT_TRUE(cluster.node(1).TransferLeadership(2).ok());
  absl::Status status = cluster.node(1).Propose("x");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("transfer"), std::string::npos);
}

TEST(RaftTransferTest, TransferIsAbortedAfterAnElectionTimeout) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(2);
  ASSERT_TRUE(cluster.node(1).TransferLeadership(2).ok());
  for (int i = 0; i < 10; ++i) {
    cluster.Tick(1);
    cluster.Tick(3);
    cluster.Stabilize();
  }
  EXPECT_EQ(cluster.node(1).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(1).lead_transferee(), 0u);
  EXPECT_TRUE(cluster.node(1).Propose("x").ok());
}

TEST(RaftTransferTest, TimeoutNowOverridesTheVoteLease) {
  // Followers in a vote lease still vote for a transfer target, because the
  // leader itself asked for the election.
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  const uint64_t term = cluster.node(1).term();
  ASSERT_TRUE(cluster.node(1).TransferLeadership(3).ok());
  cluster.Stabilize();
  EXPECT_EQ(cluster.node(3).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(3).term(), term + 1);
}

TEST(RaftTransferTest, TransferToNonVoterIsInvalid) {
  TestCluster cluster({1, 2}, {}, {3});
  cluster.ElectLeader(1);
  EXPECT_EQ(cluster.node(1).TransferLeadership(3).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster.node(2).TransferLeadership(1).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kv::raft
