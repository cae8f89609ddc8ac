// The persistence rule: term, vote and entries are durable before any message
// that depends on them leaves (Raft paper Figure 2), while the leader writes
// its own log in parallel with replication (thesis 10.2.1).
#include <gtest/gtest.h>

#include "raft/raft.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::TestCluster;

bool Contains(const std::vector<Message>& messages, MessageType type) {
  for (const Message& m : messages) {
    if (m.type() == type) return true;
  }
  return false;
}

TEST(RaftPersistenceTest, VoteIsPersistedBeforeTheVoteReplyLeaves) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  Message request;
  request.set_type(MSG_VOTE);
  request.set_from(2);
  request.set_to(1);
  request.set_term(1);
  ASSERT_TRUE(cluster.node(1).Step(request).ok());
  Ready ready = cluster.node(1).GetReady();
  ASSERT_TRUE(ready.hard_state.has_value());
  EXPECT_EQ(ready.hard_state->vote(), 2u);
  EXPECT_EQ(ready.hard_state->term(), 1u);
  EXPECT_TRUE(ready.must_sync);
  EXPECT_TRUE(ready.messages.empty());
  EXPECT_TRUE(Contains(ready.messages_after_persist, MSG_VOTE_RESP));
}

TEST(RaftPersistenceTest, CandidateRequestsVotesOnlyAfterPersistingItsTerm) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  ASSERT_TRUE(cluster.node(1).Campaign().ok());
  Ready ready = cluster.node(1).GetReady();
  EXPECT_TRUE(ready.messages.empty());
  EXPECT_TRUE(Contains(ready.messages_after_persist, MSG_VOTE));
  EXPECT_EQ(ready.hard_state->vote(), 1u);
}

TEST(RaftPersistenceTest, FollowerAcknowledgesEntriesOnlyAfterPersisting) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).Propose("x").ok());
  cluster.ProcessReady(1);
  cluster.DeliverAll();
  Ready ready = cluster.node(2).GetReady();
  EXPECT_FALSE(ready.entries.empty());
  EXPECT_FALSE(Contains(ready.messages, MSG_APP_RESP));
  EXPECT_TRUE(Contains(ready.messages_after_persist, MSG_APP_RESP));
  cluster.node(2).Advance(ready);
}

TEST(RaftPersistenceTest, LeaderReplicatesInParallelWithItsOwnWrite) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).Propose("x").ok());
  Ready ready = cluster.node(1).GetReady();
  EXPECT_EQ(ready.entries.size(), 1u);
  EXPECT_TRUE(Contains(ready.messages, MSG_APP));
  cluster.node(1).Advance(ready);
}

TEST(RaftPersistenceTest, NewLeaderHoldsAppendsUntilItsTermIsDurable) {
  // The first Ready of a leader carries its new term; its MSG_APPs depend on
  // that term and must wait.
  TestCluster cluster({1});
  ASSERT_TRUE(cluster.node(1).Campaign().ok());
  ASSERT_EQ(cluster.node(1).role(), Role::kLeader);
  TestCluster three({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  ASSERT_TRUE(three.node(1).Campaign().ok());
  three.ProcessReady(1);
  three.DeliverAll();
  three.ProcessReady(2);
  three.ProcessReady(3);
  three.DeliverAll();
  ASSERT_EQ(three.node(1).role(), Role::kLeader);
  Ready ready = three.node(1).GetReady();
  // The term was persisted with the candidacy, so appends may go at once.
  EXPECT_TRUE(Contains(ready.messages, MSG_APP));
  three.node(1).Advance(ready);
}

TEST(RaftPersistenceTest, LeaderCountsItsOwnEntryOnlyAfterPersisting) {
  TestCluster cluster({1});
  cluster.ElectLeader(1);
  const uint64_t committed = cluster.node(1).log().committed();
  ASSERT_TRUE(cluster.node(1).Propose("x").ok());
  Ready ready = cluster.node(1).GetReady();
  EXPECT_EQ(cluster.node(1).log().committed(), committed);
  EXPECT_TRUE(ready.committed_entries.empty());
  cluster.storage(1).Append(ready.entries);
  cluster.node(1).Advance(ready);
  EXPECT_EQ(cluster.node(1).log().committed(), committed + 1);
}

TEST(RaftPersistenceTest, CommittedEntriesWaitForTheLeadersOwnWrite) {
  // Two followers are a quorum; the leader may learn the commit before its
  // own write finishes, but it applies only what it has persisted.
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).Propose("x").ok());
  Ready leader_ready = cluster.node(1).GetReady();
  for (Message& m : leader_ready.messages) cluster.network().push_back(m);
  cluster.DeliverAll();
  cluster.ProcessReady(2);
  cluster.ProcessReady(3);
  cluster.DeliverAll();
  EXPECT_EQ(cluster.node(1).log().committed(), cluster.node(1).log().LastIndex());
  EXPECT_FALSE(cluster.node(1).log().HasCommittedEntriesToApply());
  cluster.storage(1).Append(leader_ready.entries);
  if (leader_ready.hard_state) cluster.storage(1).SetHardState(*leader_ready.hard_state);
  cluster.node(1).Advance(leader_ready);
  Ready next = cluster.node(1).GetReady();
  ASSERT_EQ(next.committed_entries.size(), 1u);
  EXPECT_EQ(next.committed_entries[0].data(), "x");
  cluster.node(1).Advance(next);
}

TEST(RaftPersistenceTest, CommitOnlyChangeNeedsNoSync) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).Propose("x").ok());
  cluster.ProcessReady(1);
  cluster.DeliverAll();
  cluster.ProcessReady(2);
  cluster.ProcessReady(3);
  cluster.DeliverAll();
  Ready ready = cluster.node(1).GetReady();
  ASSERT_TRUE(ready.hard_state.has_value());
  EXPECT_TRUE(ready.entries.empty());
  EXPECT_FALSE(ready.must_sync);
  cluster.node(1).Advance(ready);
}

TEST(RaftPersistenceTest, RestartKeepsExactlyWhatWasPersisted) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "durable");
  ASSERT_TRUE(cluster.node(1).Propose("lost").ok());
  // Crash before the host persists the Ready holding "lost".
  cluster.Restart(1);
  EXPECT_EQ(cluster.node(1).log().LastIndex(), 2u);
  EXPECT_EQ(cluster.node(1).term(), 1u);
  EXPECT_EQ(cluster.node(1).vote(), 1u);
  cluster.Stabilize();
  EXPECT_EQ(cluster.applied(1), std::vector<std::string>{"durable"});
}

TEST(RaftPersistenceTest, RestartedMemberRemembersItsVote) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  Message request;
  request.set_type(MSG_VOTE);
  request.set_from(2);
  request.set_to(1);
  request.set_term(1);
  ASSERT_TRUE(cluster.node(1).Step(request).ok());
  cluster.ProcessReady(1);
  cluster.network().clear();
  cluster.Restart(1);
  request.set_from(3);
  ASSERT_TRUE(cluster.node(1).Step(request).ok());
  Ready ready = cluster.node(1).GetReady();
  ASSERT_EQ(ready.messages_after_persist.size(), 1u);
  EXPECT_TRUE(ready.messages_after_persist[0].reject());
  cluster.node(1).Advance(ready);
}

TEST(RaftPersistenceTest, OnlyOneReadyMayBeOutstanding) {
  TestCluster cluster({1});
  ASSERT_TRUE(cluster.node(1).Campaign().ok());
  Ready ready = cluster.node(1).GetReady();
  EXPECT_DEATH(cluster.node(1).GetReady(), "ready_outstanding_");
  cluster.node(1).Advance(ready);
}

}  // namespace
}  // namespace kv::raft
