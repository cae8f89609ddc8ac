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
  checker.OnApplied(1, a, NextStateHash(0, a));
  checker.OnApplied(2, b, NextStateHash(0, b));
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

TEST(RaftCheckerTest, LeaderMissingACommittedEntryIsFound) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  RaftChecker checker;
  const raft::Entry phantom = MakeEntry(5, 1, "p");
  checker.OnApplied(9, phantom, 1);
  checker.ObserveMember(1, 1, cluster.node(1));
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.first_violation().find("leader completeness"),
            std::string::npos);
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
