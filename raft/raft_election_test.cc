// Elections: Raft paper section 5.2, thesis 9.6 (pre-vote), thesis 6.2 and
// 4.2.3 (check-quorum and the vote lease).
#include <gtest/gtest.h>

#include "raft/memory_log_storage.h"
#include "raft/raft.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::TestCluster;

Message VoteRequest(MessageType type, uint64_t from, uint64_t to, uint64_t term,
                    uint64_t last_index, uint64_t last_term) {
  Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  m.set_index(last_index);
  m.set_log_term(last_term);
  return m;
}

std::vector<Message> AllMessages(Ready& ready) {
  std::vector<Message> all = ready.messages;
  all.insert(all.end(), ready.messages_after_persist.begin(),
             ready.messages_after_persist.end());
  return all;
}

TEST(RaftElectionTest, FollowerCampaignsAfterRandomizedElectionTimeout) {
  // Section 5.2: a follower that hears nothing for an election timeout
  // starts an election.
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  Raft& raft = cluster.node(1);
  const int timeout = raft.randomized_election_timeout_ticks();
  cluster.Tick(1, timeout - 1);
  EXPECT_EQ(raft.role(), Role::kFollower);
  cluster.Tick(1, 1);
  EXPECT_EQ(raft.role(), Role::kCandidate);
  EXPECT_EQ(raft.term(), 1u);
  EXPECT_EQ(raft.vote(), 1u);
}

TEST(RaftElectionTest, RandomizedTimeoutIsWithinOneToTwoElectionTimeouts) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    TestCluster cluster({seed});
    const int timeout = cluster.node(seed).randomized_election_timeout_ticks();
    EXPECT_GE(timeout, 10);
    EXPECT_LT(timeout, 20);
  }
}

TEST(RaftElectionTest, CandidateWithMajorityBecomesLeader) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  EXPECT_EQ(cluster.node(1).term(), 1u);
  EXPECT_EQ(cluster.node(2).leader_id(), 1u);
  EXPECT_EQ(cluster.node(3).leader_id(), 1u);
}

TEST(RaftElectionTest, SingleVoterElectsItselfAtOnce) {
  TestCluster cluster({1});
  cluster.ElectLeader(1);
  EXPECT_EQ(cluster.node(1).term(), 1u);
}

TEST(RaftElectionTest, MessageTermAboveTheLimitIsRefused) {
  // A heartbeat at term 2^64 - 1 was adopted like any higher term; the
  // member's next campaign wrapped its term to 0 and failed Send's check.
  TestCluster cluster({1, 2, 3});
  Raft& raft = cluster.node(1);
  Message heartbeat;
  heartbeat.set_type(MSG_HEARTBEAT);
  heartbeat.set_from(2);
  heartbeat.set_to(1);
  for (uint64_t term : {kMaxTerm + 1, ~uint64_t{0}}) {
    heartbeat.set_term(term);
    EXPECT_EQ(raft.Step(heartbeat).code(), absl::StatusCode::kInvalidArgument) << term;
  }
  EXPECT_EQ(raft.term(), 0u);
  cluster.Tick(1, 2 * raft.randomized_election_timeout_ticks());
  EXPECT_NE(raft.role(), Role::kFollower) << "campaigns as usual";
  heartbeat.set_term(kMaxTerm);
  EXPECT_TRUE(raft.Step(heartbeat).ok());
  EXPECT_EQ(raft.term(), kMaxTerm);
}

TEST(RaftElectionTest, StoredTermAboveTheLimitIsRefusedAtCreate) {
  // Such a term, stored before the limit existed, failed a check at every
  // restart; the member now refuses to start with a clear error instead.
  MemoryLogStorage storage(testing::MakeConfState({1, 2, 3}, {}));
  HardState hard_state;
  hard_state.set_term(~uint64_t{0});
  storage.SetHardState(hard_state);
  Config config;
  config.id = 1;
  auto raft = Raft::Create(config, &storage, /*random_seed=*/1);
  ASSERT_FALSE(raft.ok());
  EXPECT_EQ(raft.status().code(), absl::StatusCode::kDataLoss) << raft.status();
}

TEST(RaftElectionTest, EachMemberGrantsOneVotePerTerm) {
  // Section 5.2: at most one vote per term, first come first served.
  TestCluster cluster({1, 2, 3});
  Raft& raft = cluster.node(1);
  ASSERT_TRUE(raft.Step(VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0)).ok());
  ASSERT_TRUE(raft.Step(VoteRequest(MSG_VOTE, 3, 1, 1, 0, 0)).ok());
  Ready ready = raft.GetReady();
  std::vector<Message> replies = AllMessages(ready);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_FALSE(replies[0].reject());
  EXPECT_EQ(replies[0].to(), 2u);
  EXPECT_TRUE(replies[1].reject());
  EXPECT_EQ(raft.vote(), 2u);
}

TEST(RaftElectionTest, RepeatedRequestFromTheSameCandidateIsGrantedAgain) {
  TestCluster cluster({1, 2, 3});
  Raft& raft = cluster.node(1);
  ASSERT_TRUE(raft.Step(VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0)).ok());
  ASSERT_TRUE(raft.Step(VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0)).ok());
  Ready ready = raft.GetReady();
  for (const Message& m : AllMessages(ready)) EXPECT_FALSE(m.reject());
}

TEST(RaftElectionTest, VoteDeniedToCandidateWithStaleLog) {
  // Section 5.4.1: the election restriction.
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  Raft& raft = cluster.node(2);
  cluster.Tick(2, 10);  // Leave the check-quorum vote lease.
  const uint64_t term = raft.term();
  ASSERT_TRUE(raft.Step(VoteRequest(MSG_VOTE, 3, 2, term + 5, 1, term)).ok());
  Ready ready = raft.GetReady();
  std::vector<Message> replies = AllMessages(ready);
  ASSERT_FALSE(replies.empty());
  EXPECT_TRUE(replies.back().reject());
}

TEST(RaftElectionTest, CandidateStepsDownOnAppendFromLeaderOfSameTerm) {
  // Section 5.2: a candidate that hears from a legitimate leader returns to
  // follower.
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  ASSERT_TRUE(cluster.node(2).Campaign().ok());
  Message append;
  append.set_type(MSG_APP);
  append.set_from(3);
  append.set_to(2);
  append.set_term(cluster.node(2).term());
  ASSERT_TRUE(cluster.node(2).Step(append).ok());
  EXPECT_EQ(cluster.node(2).role(), Role::kFollower);
  EXPECT_EQ(cluster.node(2).leader_id(), 3u);
}

TEST(RaftElectionTest, HigherTermTurnsLeaderIntoFollower) {
  // Section 5.1: a member that sees a higher term adopts it and steps down.
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.check_quorum = false; });
  cluster.ElectLeader(1);
  Message heartbeat;
  heartbeat.set_type(MSG_HEARTBEAT);
  heartbeat.set_from(2);
  heartbeat.set_to(1);
  heartbeat.set_term(7);
  ASSERT_TRUE(cluster.node(1).Step(heartbeat).ok());
  EXPECT_EQ(cluster.node(1).role(), Role::kFollower);
  EXPECT_EQ(cluster.node(1).term(), 7u);
}

TEST(RaftElectionTest, PreVoteDoesNotBumpTermOfAPartitionedMember) {
  // Thesis 9.6: a member that cannot win does not disrupt with higher terms.
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(3);
  for (int i = 0; i < 100; ++i) {
    cluster.Tick(3);
    cluster.Stabilize();
  }
  EXPECT_EQ(cluster.node(3).term(), 1u);
  EXPECT_EQ(cluster.node(3).role(), Role::kPreCandidate);
  cluster.Heal();
  cluster.TickAll(1);
  cluster.Stabilize();
  EXPECT_EQ(cluster.node(1).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(1).term(), 1u);
}

TEST(RaftElectionTest, WithoutPreVoteAPartitionedMemberBumpsItsTerm) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  cluster.ElectLeader(1);
  cluster.Isolate(3);
  for (int i = 0; i < 100; ++i) {
    cluster.Tick(3);
    cluster.Stabilize();
  }
  EXPECT_GT(cluster.node(3).term(), 1u);
}

TEST(RaftElectionTest, PreCandidateWinsThenRunsRealElection) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.node(1).Campaign().ok());
  EXPECT_EQ(cluster.node(1).role(), Role::kPreCandidate);
  EXPECT_EQ(cluster.node(1).term(), 0u);
  cluster.Stabilize();
  EXPECT_EQ(cluster.node(1).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(1).term(), 1u);
}

TEST(RaftElectionTest, FollowerInVoteLeaseIgnoresPreVotes) {
  // Check-quorum + pre-vote (thesis 4.2.3, etcd): a follower that heard from
  // its leader within the election timeout ignores a pre-vote.
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  const uint64_t term = cluster.node(2).term();
  ASSERT_TRUE(cluster.node(2)
                  .Step(VoteRequest(MSG_PRE_VOTE, 3, 2, term + 1, 100, term))
                  .ok());
  EXPECT_FALSE(cluster.node(2).HasReady());
}

TEST(RaftElectionTest, FollowerInVoteLeaseIgnoresVotesOfAHigherTerm) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  const uint64_t term = cluster.node(2).term();
  ASSERT_TRUE(
      cluster.node(2).Step(VoteRequest(MSG_VOTE, 3, 2, term + 1, 100, term)).ok());
  EXPECT_FALSE(cluster.node(2).HasReady());
  EXPECT_EQ(cluster.node(2).term(), term);
  EXPECT_EQ(cluster.node(2).leader_id(), 1u);
}

TEST(RaftElectionTest, WithoutCheckQuorumThereIsNoVoteLease) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.check_quorum = false; });
  cluster.ElectLeader(1);
  const uint64_t term = cluster.node(2).term();
  ASSERT_TRUE(
      cluster.node(2).Step(VoteRequest(MSG_VOTE, 3, 2, term + 1, 100, term)).ok());
  EXPECT_EQ(cluster.node(2).term(), term + 1);
  EXPECT_EQ(cluster.node(2).vote(), 3u);
}

TEST(RaftElectionTest, FollowerOutsideVoteLeaseGrantsPreVote) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Tick(2, 10);
  const uint64_t term = cluster.node(2).term();
  ASSERT_TRUE(cluster.node(2)
                  .Step(VoteRequest(MSG_PRE_VOTE, 3, 2, term + 1, 100, term))
                  .ok());
  Ready ready = cluster.node(2).GetReady();
  std::vector<Message> replies = AllMessages(ready);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type(), MSG_PRE_VOTE_RESP);
  EXPECT_FALSE(replies[0].reject());
  EXPECT_EQ(cluster.node(2).term(), term);
}

TEST(RaftElectionTest, LeaderWithoutQuorumStepsDown) {
  // Check-quorum (thesis 6.2).
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(1);
  for (int i = 0; i < 2 * 10; ++i) {
    cluster.Tick(1);
    cluster.Stabilize();
  }
  EXPECT_EQ(cluster.node(1).role(), Role::kFollower);
}

TEST(RaftElectionTest, LeaderWithQuorumStaysLeader) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(3);
  for (int i = 0; i < 50; ++i) {
    cluster.Tick(1);
    cluster.Tick(2);
    cluster.Stabilize();
  }
  EXPECT_EQ(cluster.node(1).role(), Role::kLeader);
}

TEST(RaftElectionTest, NewLeaderIsElectedAfterLeaderFails) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(1);
  for (int i = 0; i < 60; ++i) {
    cluster.TickAll();
    cluster.Stabilize();
  }
  const bool two = cluster.node(2).role() == Role::kLeader;
  const bool three = cluster.node(3).role() == Role::kLeader;
  EXPECT_TRUE(two != three);
}

TEST(RaftElectionTest, StaleVoteResponseFromEarlierTermIsNotCounted) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  Raft& raft = cluster.node(1);
  ASSERT_TRUE(raft.Campaign().ok());
  ASSERT_TRUE(raft.Campaign().ok());  // Term 2 after a lost term 1.
  Message grant;
  grant.set_type(MSG_VOTE_RESP);
  grant.set_from(2);
  grant.set_to(1);
  grant.set_term(1);
  ASSERT_TRUE(raft.Step(grant).ok());
  EXPECT_EQ(raft.role(), Role::kCandidate);
}

TEST(RaftElectionTest, LearnerNeverCampaigns) {
  TestCluster cluster({1, 2}, {}, {3});
  cluster.Tick(3, 100);
  EXPECT_EQ(cluster.node(3).role(), Role::kFollower);
  EXPECT_EQ(cluster.node(3).Campaign().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RaftElectionTest, StepRejectsMisaddressedMessage) {
  TestCluster cluster({1, 2, 3});
  Message m = VoteRequest(MSG_VOTE, 2, 3, 1, 0, 0);
  EXPECT_EQ(cluster.node(1).Step(m).code(), absl::StatusCode::kInvalidArgument);
  m.set_to(1);
  m.set_from(1);
  EXPECT_EQ(cluster.node(1).Step(m).code(), absl::StatusCode::kInvalidArgument);
}

// Step checks the type by range (raft.cc), which is right only while the
// enum has no gaps: this fails if a value is added out of sequence.
TEST(RaftElectionTest, MessageTypesRunWithoutGaps) {
  for (int type = MessageType_MIN; type <= MessageType_MAX; ++type) {
    EXPECT_TRUE(MessageType_IsValid(type)) << type;
  }
}

TEST(RaftElectionTest, StepRejectsUnknownMessageTypes) {
  TestCluster cluster({1, 2, 3});
  for (int type : {-1, static_cast<int>(MSG_NONE), MessageType_MAX + 1, 1000}) {
    Message m = VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0);
    m.set_type(static_cast<MessageType>(type));
    EXPECT_EQ(cluster.node(1).Step(m).code(), absl::StatusCode::kInvalidArgument) << type;
  }
  Message valid = VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0);
  valid.set_type(static_cast<MessageType>(MessageType_MAX));
  EXPECT_TRUE(cluster.node(1).Step(valid).ok());
}

}  // namespace
}  // namespace kv::raft
