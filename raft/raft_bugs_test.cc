// The injectable bugs (RaftBugs): each is off by default, and each, when on,
// visibly breaks the rule it targets in a scripted scenario. The simulator
// sweeps (sim/raft) show that the invariant checkers catch them.
#include <gtest/gtest.h>

#include "raft/raft.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::MakeConfState;
using testing::TestCluster;
using testing::TestConfig;

class RaftBugsTest : public ::testing::TestWithParam<bool> {
 protected:
  bool bug_on() const { return GetParam(); }
  testing::ConfigTweak WithBug(RaftBugs bug, testing::ConfigTweak tweak = {}) {
    const bool on = bug_on();
    return [=](Config& c) {
      if (tweak) tweak(c);
      if (on) c.bugs = bug;
    };
  }
};

INSTANTIATE_TEST_SUITE_P(BugOffAndOn, RaftBugsTest, ::testing::Bool());

TEST_P(RaftBugsTest, CountVotesFromWrongTerm) {
  TestCluster cluster({1, 2, 3},
                      WithBug(kCountVotesFromWrongTerm,
                              [](Config& c) { c.pre_vote = false; }));
  Raft& raft = cluster.node(1);
  ASSERT_TRUE(raft.Campaign().ok());
  ASSERT_TRUE(raft.Campaign().ok());
  Message stale_grant;
  stale_grant.set_type(MSG_VOTE_RESP);
  stale_grant.set_from(2);
  stale_grant.set_to(1);
  stale_grant.set_term(1);
  ASSERT_TRUE(raft.Step(stale_grant).ok());
  EXPECT_EQ(raft.role() == Role::kLeader, bug_on());
}

TEST_P(RaftBugsTest, ForgetToPersistVote) {
  TestCluster cluster({1, 2, 3},
                      WithBug(kForgetToPersistVote,
                              [](Config& c) { c.pre_vote = false; }));
  Message request;
  request.set_type(MSG_VOTE);
  request.set_from(2);
  request.set_to(1);
  request.set_term(1);
  ASSERT_TRUE(cluster.node(1).Step(request).ok());
  cluster.ProcessReady(1);
  cluster.network().clear();
  EXPECT_EQ(cluster.storage(1).hard_state().vote() == 0, bug_on());
  cluster.Restart(1);
  request.set_from(3);
  ASSERT_TRUE(cluster.node(1).Step(request).ok());
  Ready ready = cluster.node(1).GetReady();
  ASSERT_EQ(ready.messages_after_persist.size(), 1u);
  // With the bug, the restarted member votes a second time in term 1.
  EXPECT_EQ(!ready.messages_after_persist[0].reject(), bug_on());
  cluster.node(1).Advance(ready);
}

TEST_P(RaftBugsTest, CommitOldTermByCounting) {
  // Figure 8 (c) of the Raft paper, as in RaftReplicationTest.
  ConfState conf = MakeConfState({1, 2, 3, 4, 5});
  MemoryLogStorage storage(conf);
  Entry first;
  first.set_index(1);
  first.set_term(1);
  Entry second;
  second.set_index(2);
  second.set_term(2);
  storage.Append({first, second});
  HardState hard_state;
  hard_state.set_term(3);
  hard_state.set_commit(1);
  storage.SetHardState(hard_state);
  auto leader = *Raft::Create(
      TestConfig(1, WithBug(kCommitOldTermByCounting,
                            [](Config& c) { c.pre_vote = false; })),
      &storage, 1);
  ASSERT_TRUE(leader->Campaign().ok());
  for (uint64_t voter : {2, 3}) {
    Message grant;
    grant.set_type(MSG_VOTE_RESP);
    grant.set_from(voter);
    grant.set_to(1);
    grant.set_term(4);
    ASSERT_TRUE(leader->Step(grant).ok());
  }
  Ready ready = leader->GetReady();
  storage.Append(ready.entries);
  leader->Advance(ready);
  for (uint64_t voter : {2, 3}) {
    Message ack;
    ack.set_type(MSG_APP_RESP);
    ack.set_from(voter);
    ack.set_to(1);
    ack.set_term(4);
    ack.set_index(2);
    ASSERT_TRUE(leader->Step(ack).ok());
  }
  EXPECT_EQ(leader->log().committed() == 2, bug_on());
}

TEST_P(RaftBugsTest, ServeLeaseReadWhenDeposed) {
  TestCluster cluster({1, 2, 3}, WithBug(kServeLeaseReadWhenDeposed, [](Config& c) {
                        c.read_only_option = ReadOnlyOption::kLeaseBased;
                        c.max_clock_drift_ticks = 2;
                      }));
  cluster.TickAll(10);
  cluster.Stabilize();
  uint64_t leader = 0;
  for (uint64_t id : cluster.ids()) {
    if (cluster.node(id).role() == Role::kLeader) leader = id;
  }
  if (leader == 0) {
    cluster.ElectLeader(1);
    leader = 1;
  }
  cluster.Isolate(leader);
  for (int i = 0; i < 9; ++i) {
    cluster.Tick(leader);
    cluster.Stabilize();
  }
  ASSERT_EQ(cluster.node(leader).role(), Role::kLeader);
  ASSERT_TRUE(cluster.node(leader).ReadIndex(1).ok());
  cluster.ProcessReady(leader);
  // Past its lease, the isolated leader may already be deposed.
  EXPECT_EQ(cluster.TakeReadStates(leader).size() == 1, bug_on());
}

TEST_P(RaftBugsTest, AckBeforePersist) {
  TestCluster cluster({1, 2, 3}, WithBug(kAckBeforePersist));
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).Propose("x").ok());
  cluster.ProcessReady(1);
  cluster.DeliverAll();
  Ready ready = cluster.node(2).GetReady();
  bool early = false;
  for (const Message& m : ready.messages) early |= m.type() == MSG_APP_RESP;
  EXPECT_EQ(early, bug_on());
  cluster.node(2).Advance(ready);
}

}  // namespace
}  // namespace kv::raft
