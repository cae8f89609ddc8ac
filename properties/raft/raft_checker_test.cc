#include "properties/raft/raft_checker.h"

#include <gtest/gtest.h>

#include "raft/raft_test_util.h"

namespace kv::properties {
namespace {

using raft::testing::TestCluster;

raft::Entry MakeEntry(uint64_t index, uint64_t term, std::string data) {
  raft::Entry entry;
  entry.set_index(index);
  entry.set_term(term);
  entry.set_data(std::move(data));
  return entry;
}

TEST(RaftCheckerTest, SameEntriesOnTwoMembersPass) {
  RaftChecker checker;
  checker.OnEntriesPersisted(1, 0, {MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")}, 0);
  checker.OnEntriesPersisted(2, 0, {MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")}, 0);
  EXPECT_TRUE(checker.ok());
}

TEST(RaftCheckerTest, LogMatchingViolationIsFound) {
  RaftChecker checker;
  checker.OnEntriesPersisted(1, 0, {MakeEntry(1, 1, "a")}, 0);
  checker.OnEntriesPersisted(2, 0, {MakeEntry(1, 1, "different")}, 0);
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.first_violation().find("log matching"), std::string::npos);
}

TEST(RaftCheckerTest, DifferentPredecessorTermViolatesLogMatching) {
  RaftChecker checker;
  checker.OnEntriesPersisted(1, 1, {MakeEntry(5, 3, "a")}, 4);
  checker.OnEntriesPersisted(2, 2, {MakeEntry(5, 3, "a")}, 4);
  EXPECT_FALSE(checker.ok());
}

TEST(RaftCheckerTest, DivergentAppliedStateIsFound) {
  RaftChecker checker;
  const raft::Entry a = MakeEntry(1, 1, "a");
  const raft::Entry b = MakeEntry(1, 2, "b");
  checker.OnApplied(1, a, NextStateHash(0, a), 1);
  checker.OnApplied(2, b, NextStateHash(0, b), 2);
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.first_violation().find("state machine safety"),
            std::string::npos);
}

TEST(RaftCheckerTest, SecondVoteGrantInOneTermIsFound) {
  RaftChecker checker;
  raft::Message grant;
  grant.set_type(raft::MSG_VOTE_RESP);
  grant.set_term(3);
  grant.set_to(2);
  checker.OnMessageSent(1, grant);
  checker.OnMessageSent(1, grant);  // A retransmission is fine.
  EXPECT_TRUE(checker.ok());
  grant.set_to(3);
  checker.OnMessageSent(1, grant);
  EXPECT_FALSE(checker.ok());
}

raft::Message Ack(uint64_t index) {
  raft::Message ack;
  ack.set_type(raft::MSG_APP_RESP);
  ack.set_index(index);
  return ack;
}

TEST(RaftCheckerTest, AcknowledgedEntriesLostInACrashAreFound) {
  RaftChecker checker;
  checker.OnMessageSent(2, Ack(7));
  checker.OnRestart(2, 7);
  EXPECT_TRUE(checker.ok());
  checker.OnMessageSent(2, Ack(9));
  checker.OnRestart(2, 8);
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.first_violation().find("durability"), std::string::npos);
}

TEST(RaftCheckerTest, OverwrittenAcknowledgementsMayBeLost) {
  RaftChecker checker;
  checker.OnMessageSent(2, Ack(9));
  checker.OnEntriesPersisted(2, 1, {MakeEntry(6, 2, "x")}, 9);
  checker.OnRestart(2, 6);
  EXPECT_TRUE(checker.ok());
}

TEST(RaftCheckerTest, StaleAcknowledgementSentAfterAnOverwriteIsNotCounted) {
  // Found by the simulator (seed 386, 5 members): an acknowledgement of term
  // 14 left in the same batch as a term-15 overwrite; it was true when made.
  RaftChecker checker;
  checker.OnEntriesPersisted(5, 14, {MakeEntry(84, 15, "x")}, 86);
  raft::Message stale = Ack(86);
  stale.set_term(14);
  checker.OnMessageSent(5, stale);
  checker.OnRestart(5, 84);
  EXPECT_TRUE(checker.ok());
}

TEST(RaftCheckerTest, StaleReadIsFound) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  RaftChecker checker;
  checker.ObserveMember(1, 1, cluster.node(1));
  checker.OnReadRequested(7);
  checker.OnReadServed(1, 7, cluster.node(1).log().committed() - 1);
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.first_violation().find("linearizable read"), std::string::npos);
}

TEST(RaftCheckerTest, TwoLeadersInOneTermAreFound) {
  TestCluster a({1, 2, 3});
  a.ElectLeader(1);
  TestCluster b({1, 2, 3});
  b.ElectLeader(2);
  RaftChecker checker;
  checker.ObserveMember(1, 1, a.node(1));
  EXPECT_TRUE(checker.ok());
  checker.ObserveMember(2, 1, b.node(2));
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.first_violation().find("election safety"), std::string::npos);
}

// Elects 1 in term 1, then cuts it off until 2 or 3 wins a later term;
// returns the new leader's id.
uint64_t ElectSecondLeader(TestCluster& cluster) {
  cluster.ElectLeader(1);
  cluster.Isolate(1);
  for (int i = 0; i < 50; ++i) {
    cluster.TickAll();
    cluster.Stabilize();
    for (uint64_t id : {2u, 3u}) {
      if (cluster.node(id).role() == raft::Role::kLeader) return id;
    }
  }
  ADD_FAILURE() << "no second leader";
  return 0;
}

TEST(RaftCheckerTest, LeaderMissingACommittedEntryIsFound) {
  TestCluster cluster({1, 2, 3});
  const uint64_t leader = ElectSecondLeader(cluster);
  ASSERT_NE(leader, 0u);
  ASSERT_GE(cluster.node(leader).term(), 2u);
  RaftChecker checker;
  // Applied by a member in term 1, so committed in term 1 at the latest.
  const raft::Entry phantom = MakeEntry(50, 1, "p");
  checker.OnApplied(9, phantom, 1, 1);
  checker.ObserveMember(leader, 1, cluster.node(leader));
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.first_violation().find("leader completeness"),
            std::string::npos);
}

TEST(RaftCheckerTest, LeaderOfAnOlderTermNeedNotHoldLaterCommits) {
  // A candidate whose vote grants were delayed wins term 1 after term 5 has
  // committed index 1 (seed 844 of the Raft sweep): Raft promises committed
  // entries only to leaders of later terms.
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  ASSERT_LT(cluster.node(1).term(), 5u);
  RaftChecker checker;
  const raft::Entry later = MakeEntry(cluster.node(1).log().LastIndex() + 1, 5, "l");
  checker.OnApplied(9, later, 1, 5);
  checker.ObserveMember(1, 1, cluster.node(1));
  EXPECT_TRUE(checker.ok()) << checker.first_violation();
  // Applied in term 5 by one member but already in term 1 by another: then
  // it was committed in term 1 and a leader of a later term must hold it.
  checker.OnApplied(8, later, 1, 1);
  TestCluster other({1, 2, 3});
  const uint64_t leader = ElectSecondLeader(other);
  ASSERT_NE(leader, 0u);
  checker.ObserveMember(leader, 1, other.node(leader));
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.first_violation().find("leader completeness"), std::string::npos);
}

TEST(RaftCheckerTest, CommitGoingBackWithinAProcessIsFound) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  RaftChecker checker;
  checker.ObserveMember(2, 1, cluster.node(1));
  TestCluster fresh({1, 2, 3});
  checker.ObserveMember(2, 2, fresh.node(2));  // A restart may go back.
  EXPECT_TRUE(checker.ok());
  checker.ObserveMember(3, 1, cluster.node(1));
  checker.ObserveMember(3, 1, fresh.node(3));
  EXPECT_FALSE(checker.ok());
}

}  // namespace
}  // namespace kv::properties
