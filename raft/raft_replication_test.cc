// Log replication and commitment: Raft paper sections 5.3 and 5.4.2,
// thesis 10.2 (batching, pipelining, flow control).
#include <gtest/gtest.h>

#include "raft/raft.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::MakeConfState;
using testing::TestCluster;
using testing::TestConfig;

std::vector<Message> OfType(const std::vector<Message>& messages,
                            MessageType type, uint64_t to = 0) {
  std::vector<Message> result;
  for (const Message& m : messages) {
    if (m.type() == type && (to == 0 || m.to() == to)) result.push_back(m);
  }
  return result;
}

std::vector<Message> AllMessages(const Ready& ready) {
  std::vector<Message> all = ready.messages;
  all.insert(all.end(), ready.messages_after_persist.begin(),
             ready.messages_after_persist.end());
  return all;
}

Entry MakeEntry(uint64_t index, uint64_t term) {
  Entry entry;
  entry.set_index(index);
  entry.set_term(term);
  return entry;
}

TEST(RaftReplicationTest, CommittedProposalIsAppliedEverywhere) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "put x");
  for (uint64_t id : {1, 2, 3}) {
    ASSERT_EQ(cluster.applied(id).size(), 1u);
    EXPECT_EQ(cluster.applied(id)[0], "put x");
  }
}

TEST(RaftReplicationTest, WithoutBroadcastCommitFollowersLearnTheCommitFromTheNextHeartbeat) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.broadcast_commit = false; });
  cluster.ElectLeader(1);
  const uint64_t before = cluster.node(1).log().committed();
  int empty_appends = 0;
  cluster.SetFilter([&empty_appends](const Message& m) {
    if (m.type() == MSG_APP && m.entries_size() == 0) ++empty_appends;
    return false;
  });
  cluster.ProposeAndCommit(1, "put x");
  // The leader committed and applied; no append went out just to say so.
  EXPECT_EQ(cluster.node(1).log().committed(), before + 1);
  ASSERT_EQ(cluster.applied(1).size(), 1u);
  EXPECT_EQ(empty_appends, 0);
  for (uint64_t id : {2, 3}) {
    EXPECT_EQ(cluster.node(id).log().LastIndex(), before + 1);
    EXPECT_EQ(cluster.node(id).log().committed(), before);
    EXPECT_TRUE(cluster.applied(id).empty());
  }
  // The next heartbeat carries the new commit index.
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(empty_appends, 0);
  for (uint64_t id : {2, 3}) {
    EXPECT_EQ(cluster.node(id).log().committed(), before + 1);
    ASSERT_EQ(cluster.applied(id).size(), 1u);
    EXPECT_EQ(cluster.applied(id)[0], "put x");
  }
}

TEST(RaftReplicationTest, WithoutBroadcastCommitTheNextProposalCarriesTheCommit) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.broadcast_commit = false; });
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "a");
  cluster.ProposeAndCommit(1, "b");
  // "a" reached the followers' commit index with the append of "b".
  for (uint64_t id : {2, 3}) {
    ASSERT_EQ(cluster.applied(id).size(), 1u);
    EXPECT_EQ(cluster.applied(id)[0], "a");
  }
}

TEST(RaftReplicationTest, ProposalOnFollowerFailsWithLeaderHint) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  absl::Status status = cluster.node(2).Propose("x");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("leader hint 1"), std::string::npos);
}

TEST(RaftReplicationTest, BatchedProposalsTravelInOneMessage) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).Propose({"a", "b", "c", "d"}).ok());
  Ready ready = cluster.node(1).GetReady();
  std::vector<Message> to2 = OfType(ready.messages, MSG_APP, 2);
  ASSERT_EQ(to2.size(), 1u);
  EXPECT_EQ(to2[0].entries_size(), 4);
  EXPECT_EQ(ready.entries.size(), 4u);
  cluster.node(1).Advance(ready);
}

TEST(RaftReplicationTest, ReplicateStatePipelinesUpToTheInflightLimit) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.max_inflight_msgs = 3; });
  cluster.ElectLeader(1);
  ASSERT_EQ(cluster.node(1).tracker().progress().at(2).state,
            ProgressState::kReplicate);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(cluster.node(1).Propose("p").ok());
  Ready ready = cluster.node(1).GetReady();
  // Three messages in flight without any acknowledgement, then paused.
  EXPECT_EQ(OfType(ready.messages, MSG_APP, 2).size(), 3u);
  EXPECT_TRUE(cluster.node(1).tracker().progress().at(2).IsPaused());
  cluster.node(1).Advance(ready);
}

TEST(RaftReplicationTest, ProbeStateSendsOneMessageAtATime) {
  TestCluster cluster({1, 2, 3});
  cluster.Isolate(2);
  cluster.ElectLeader(1);
  ASSERT_EQ(cluster.node(1).tracker().progress().at(2).state,
            ProgressState::kProbe);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cluster.node(1).Propose("p").ok());
  Ready ready = cluster.node(1).GetReady();
  EXPECT_LE(OfType(ready.messages, MSG_APP, 2).size(), 1u);
  EXPECT_EQ(OfType(ready.messages, MSG_APP, 3).size(), 3u);
  cluster.node(1).Advance(ready);
}

TEST(RaftReplicationTest, MessageSizeLimitSplitsLargeBacklogs) {
  TestCluster cluster({1, 2, 3},
                      [](Config& c) { c.max_size_per_msg_bytes = 10; });
  cluster.ElectLeader(1);
  cluster.Isolate(3);
  for (int i = 0; i < 10; ++i) cluster.ProposeAndCommit(1, "12345");
  cluster.TickAll(2);  // Cut off long enough for the leader to look for lost appends.
  cluster.Stabilize();
  cluster.Heal();
  uint64_t largest = 0;
  cluster.SetFilter([&](const Message& m) {
    if (m.type() == MSG_APP && m.to() == 3) {
      uint64_t bytes = 0;
      for (const Entry& e : m.entries()) bytes += e.data().size();
      largest = std::max(largest, bytes);
    }
    return false;
  });
  cluster.TickAll();
  cluster.Stabilize();
  EXPECT_EQ(cluster.applied(3).size(), 10u);
  EXPECT_LE(largest, 10u);
  EXPECT_GT(largest, 0u);
}

TEST(RaftReplicationTest, InflightByteLimitPausesTheFollower) {
  TestCluster cluster({1, 2, 3}, [](Config& c) {
    c.max_size_per_msg_bytes = 4;
    c.max_inflight_bytes = 8;
  });
  cluster.ElectLeader(1);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(cluster.node(1).Propose("abcd").ok());
  Ready ready = cluster.node(1).GetReady();
  EXPECT_EQ(OfType(ready.messages, MSG_APP, 2).size(), 2u);
  cluster.node(1).Advance(ready);
}

TEST(RaftReplicationTest, UncommittedSizeLimitRefusesProposals) {
  TestCluster cluster({1, 2, 3},
                      [](Config& c) { c.max_uncommitted_entries_size_bytes = 10; });
  cluster.ElectLeader(1);
  cluster.Isolate(1);
  ASSERT_TRUE(cluster.node(1).Propose("123456").ok());
  absl::Status status = cluster.node(1).Propose("123456");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  cluster.Heal();
  cluster.Stabilize();
  EXPECT_TRUE(cluster.node(1).Propose("123456").ok());
}

TEST(RaftReplicationTest, FollowerRejectsAppendWithMismatchedPrevious) {
  // Section 5.3: the consistency check.
  TestCluster cluster({1, 2});
  Message append;
  append.set_type(MSG_APP);
  append.set_from(2);
  append.set_to(1);
  append.set_term(1);
  append.set_index(5);
  append.set_log_term(1);
  ASSERT_TRUE(cluster.node(1).Step(append).ok());
  Ready ready = cluster.node(1).GetReady();
  std::vector<Message> replies = OfType(AllMessages(ready), MSG_APP_RESP);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].reject());
  EXPECT_EQ(replies[0].reject_hint(), 0u);
}

TEST(RaftReplicationTest, ConflictHintSkipsAWholeTermPerRoundTrip) {
  // A follower with a long divergent suffix is repaired in a few round trips
  // rather than one per entry (thesis 5.3 optimisation).
  ConfState conf = MakeConfState({1, 2});
  MemoryLogStorage leader_storage(conf);
  MemoryLogStorage follower_storage(conf);
  std::vector<Entry> leader_log;
  std::vector<Entry> follower_log;
  for (uint64_t i = 1; i <= 50; ++i) {
    leader_log.push_back(MakeEntry(i, i <= 10 ? 1 : 4));
    follower_log.push_back(MakeEntry(i, i <= 10 ? 1 : (i <= 30 ? 2 : 3)));
  }
  leader_storage.Append(leader_log);
  follower_storage.Append(follower_log);
  HardState hard_state;
  hard_state.set_term(4);
  leader_storage.SetHardState(hard_state);
  hard_state.set_term(3);
  follower_storage.SetHardState(hard_state);
  auto leader = *Raft::Create(TestConfig(1), &leader_storage, 1);
  auto follower = *Raft::Create(TestConfig(2), &follower_storage, 2);
  ASSERT_TRUE(leader->Campaign().ok());
  int round_trips = 0;
  for (int step = 0; step < 100 && follower->log().committed() < 51; ++step) {
    for (auto* pair : {&leader, &follower}) {
      Raft& from = **pair;
      Raft& to = pair == &leader ? *follower : *leader;
      if (!from.HasReady()) continue;
      Ready ready = from.GetReady();
      MemoryLogStorage& storage = pair == &leader ? leader_storage : follower_storage;
      if (ready.hard_state) storage.SetHardState(*ready.hard_state);
      storage.Append(ready.entries);
      for (const Message& m : AllMessages(ready)) {
        if (m.type() == MSG_APP && m.entries_size() > 0) ++round_trips;
        ASSERT_TRUE(to.Step(m).ok());
      }
      from.Advance(ready);
    }
  }
  EXPECT_EQ(follower->log().LastIndex(), 51u);
  EXPECT_EQ(follower->log().TermOrZero(30), 4u);
  EXPECT_LE(round_trips, 4);
}

TEST(RaftReplicationTest, LeaderDoesNotCommitOldTermEntryByCounting) {
  // Raft paper section 5.4.2, Figure 8 (c): a leader of term 4 holds index 2
  // from term 2 on a majority, yet must not commit it by counting, because
  // a candidate with a term-3 entry at index 2 could still win and replace it.
  ConfState conf = MakeConfState({1, 2, 3, 4, 5});
  MemoryLogStorage storage(conf);
  storage.Append({MakeEntry(1, 1), MakeEntry(2, 2)});
  HardState hard_state;
  hard_state.set_term(3);
  hard_state.set_commit(1);
  storage.SetHardState(hard_state);
  auto leader = *Raft::Create(TestConfig(1, [](Config& c) { c.pre_vote = false; }),
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
  ASSERT_EQ(leader->role(), Role::kLeader);
  Ready ready = leader->GetReady();
  storage.Append(ready.entries);
  storage.SetHardState(*ready.hard_state);
  leader->Advance(ready);
  // Members 2 and 3 acknowledge index 2 (they hold the term-2 entry) but not
  // the leader's term-4 entry at index 3.
  for (uint64_t voter : {2, 3}) {
    Message ack;
    ack.set_type(MSG_APP_RESP);
    ack.set_from(voter);
    ack.set_to(1);
    ack.set_term(4);
    ack.set_index(2);
    ASSERT_TRUE(leader->Step(ack).ok());
  }
  EXPECT_EQ(leader->log().committed(), 1u);
  // Once the term-4 entry reaches a majority, both commit together.
  for (uint64_t voter : {2, 3}) {
    Message ack;
    ack.set_type(MSG_APP_RESP);
    ack.set_from(voter);
    ack.set_to(1);
    ack.set_term(4);
    ack.set_index(3);
    ASSERT_TRUE(leader->Step(ack).ok());
  }
  EXPECT_EQ(leader->log().committed(), 3u);
}

// Forwards to a MemoryLogStorage; its entry reads fail while `fail_entries`
// is set, as a disk's reads can.
class EntryReadFailingStorage final : public testing::ForwardingLogStorage {
 public:
  using ForwardingLogStorage::ForwardingLogStorage;
  absl::StatusOr<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                             uint64_t max_bytes) const override {
    if (fail_entries) return absl::DataLossError("injected entry read failure");
    return ForwardingLogStorage::Entries(lo, hi, max_bytes);
  }

  bool fail_entries = false;
};

// An append whose entries cannot be read is withdrawn from the outgoing
// queue and a snapshot goes instead; the queue's bookkeeping (its count of
// messages that may leave early) follows the withdrawal.
TEST(RaftReplicationTest, AppendWhoseEntriesCannotBeReadIsWithdrawnForASnapshot) {
  const ConfState conf = MakeConfState({1, 2, 3});
  MemoryLogStorage memory(conf);
  memory.Append({MakeEntry(1, 1), MakeEntry(2, 1), MakeEntry(3, 1)});
  ASSERT_TRUE(memory.CreateSnapshot(1, conf, "").ok());
  HardState hard_state;
  hard_state.set_term(1);
  hard_state.set_commit(3);
  memory.SetHardState(hard_state);
  EntryReadFailingStorage storage(memory);
  auto leader = *Raft::Create(TestConfig(1, [](Config& c) { c.pre_vote = false; }),
                              &storage, 1);
  ASSERT_TRUE(leader->Campaign().ok());
  Message grant;
  grant.set_type(MSG_VOTE_RESP);
  grant.set_from(2);
  grant.set_to(1);
  grant.set_term(2);
  ASSERT_TRUE(leader->Step(grant).ok());
  ASSERT_EQ(leader->role(), Role::kLeader);
  Ready ready = leader->GetReady();
  memory.Append(ready.entries);
  memory.SetHardState(*ready.hard_state);
  leader->Advance(ready);
  // Member 2 holds only index 1: the leader backs up to send it 2.., read
  // from storage, which fails.
  storage.fail_entries = true;
  Message reject;
  reject.set_type(MSG_APP_RESP);
  reject.set_from(2);
  reject.set_to(1);
  reject.set_term(2);
  reject.set_index(3);
  reject.set_reject(true);
  reject.set_reject_hint(1);
  ASSERT_TRUE(leader->Step(reject).ok());
  leader->CheckInvariants();
  storage.fail_entries = false;
  ready = leader->GetReady();
  const std::vector<Message> sent = AllMessages(ready);
  EXPECT_EQ(OfType(sent, MSG_SNAP, 2).size(), 1u);
  EXPECT_TRUE(OfType(sent, MSG_APP, 2).empty());
  leader->Advance(ready);
  leader->CheckInvariants();
}

TEST(RaftReplicationTest, HeartbeatResponseLooksForLostAppendsOnlyAfterATickOfSilence) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  // The append carrying "x" to member 3 is lost; member 2 commits it.
  cluster.SetFilter([](const Message& m) { return m.type() == MSG_APP && m.to() == 3; });
  cluster.ProposeAndCommit(1, "x");
  int appends_to_3 = 0;
  cluster.SetFilter([&](const Message& m) {
    if (m.type() == MSG_APP && m.to() == 3) ++appends_to_3;
    return false;
  });
  // A heartbeat round in the tick after the loss: member 3 answers the
  // heartbeat, but everything is in flight and the lost append went out
  // only a tick ago, so no empty append goes (etcd would send one).
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(appends_to_3, 0);
  EXPECT_TRUE(cluster.applied(3).empty());
  // The next tick's round finds member 3 silent for a whole tick: the empty
  // append goes, is rejected, and the leader resends "x".
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_GE(appends_to_3, 2);
  EXPECT_EQ(cluster.applied(3), cluster.applied(1));
}

TEST(RaftReplicationTest, HeartbeatCommitIsCappedAtTheFollowersMatch) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(3);
  cluster.ProposeAndCommit(1, "x");
  cluster.Heal();
  cluster.SetFilter([](const Message& m) { return m.type() == MSG_APP; });
  cluster.Tick(1);
  Ready ready = cluster.node(1).GetReady();
  std::vector<Message> heartbeats = OfType(ready.messages, MSG_HEARTBEAT, 3);
  ASSERT_EQ(heartbeats.size(), 1u);
  EXPECT_EQ(heartbeats[0].commit(),
            cluster.node(1).tracker().progress().at(3).match);
  cluster.node(1).Advance(ready);
}

TEST(RaftReplicationTest, LaggingFollowerCatchesUpAfterPartitionHeals) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(3);
  for (int i = 0; i < 20; ++i) cluster.ProposeAndCommit(1, std::to_string(i));
  cluster.TickAll(2);  // Cut off long enough for the leader to look for lost appends.
  cluster.Stabilize();
  cluster.Heal();
  cluster.TickAll();
  cluster.Stabilize();
  EXPECT_EQ(cluster.applied(3), cluster.applied(1));
}

TEST(RaftReplicationTest, DeposedLeaderLearnsNewTermFromStaleAppendReply) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(1);
  for (int i = 0; i < 60; ++i) {
    cluster.Tick(2);
    cluster.Tick(3);
    cluster.Stabilize();
  }
  ASSERT_GT(cluster.node(2).term(), cluster.node(1).term());
  cluster.Heal();
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(cluster.node(1).role(), Role::kFollower);
  EXPECT_EQ(cluster.node(1).term(), cluster.node(2).term());
}

}  // namespace
}  // namespace kv::raft
