// Taking committed entries, read states and immediate messages while a
// Ready is outstanding (raft.h: TakeCommittedEntriesEarly, TakeReadStates,
// TakeMessagesEarly), which lets a host apply and replicate without waiting
// for the outstanding Ready's sync.
#include <string>

#include <gtest/gtest.h>

#include "raft/raft.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::TestCluster;

// Persists and acknowledges a Ready the test took by hand, as the host would.
void Finish(TestCluster& cluster, uint64_t id, Ready& ready) {
  cluster.storage(id).Append(std::move(ready.entries));
  if (ready.hard_state) cluster.storage(id).SetHardState(*ready.hard_state);
  for (Message& m : ready.messages) cluster.network().push_back(std::move(m));
  for (Message& m : ready.messages_after_persist) cluster.network().push_back(std::move(m));
  cluster.node(id).AckPersisted();
  if (!ready.committed_entries.empty()) cluster.node(id).AckApplied(ready.committed_entries.back().index());
}

// RecycleMessages: the next messages go into the given-back buffer, and a
// buffer is not taken while the core holds one (its messages would be lost).
TEST(RaftEarlyTest, ARecycledMessageBufferIsReused) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  Raft& leader = cluster.node(1);
  ASSERT_TRUE(leader.Propose("a").ok());
  Ready first = leader.GetReady();
  ASSERT_FALSE(first.messages.empty());
  const Message* buffer = first.messages.data();
  leader.RecycleMessages(std::move(first.messages));
  ASSERT_TRUE(leader.Propose("b").ok());
  std::vector<Message> early = leader.TakeMessagesEarly();
  ASSERT_FALSE(early.empty());
  EXPECT_EQ(early.data(), buffer);
  for (const Message& m : early) EXPECT_EQ(m.entries(0).data(), "b");
  // Queued now, with its own buffer: a recycled one is dropped, not swapped in.
  ASSERT_TRUE(leader.Propose("c").ok());
  std::vector<Message> spare(1);
  leader.RecycleMessages(std::move(spare));
  std::vector<Message> next = leader.TakeMessagesEarly();
  ASSERT_EQ(next.size(), 2u);
  for (const Message& m : next) EXPECT_EQ(m.entries(0).data(), "c");
}

// Spare messages keep no large buffer once reused (kept_buffer.h): the
// appends of a large value, given back or left in a refilled Ready, have
// their entry data released when the next messages are built in them; small
// ones' buffers are reused.
TEST(RaftEarlyTest, SpareMessagesKeepNoHugeBufferButReuseSmallOnes) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  Raft& leader = cluster.node(1);
  // Persists a Ready's writes and acknowledges them, leaving its messages.
  const auto persist = [&](const Ready& ready) {
    cluster.storage(1).Append(ready.entries);
    if (ready.hard_state) cluster.storage(1).SetHardState(*ready.hard_state);
    leader.AckPersisted();
  };
  // Proposes `data`, takes its appends at once and gives them back.
  const auto propose_and_recycle = [&](const std::string& data) {
    EXPECT_TRUE(leader.Propose(data).ok());
    std::vector<Message> early = leader.TakeMessagesEarly();
    EXPECT_EQ(early.size(), 2u);
    EXPECT_EQ(early[0].entries(0).data(), data);
    const char* const buffer = early[0].entries(0).data().data();
    leader.RecycleMessages(std::move(early));
    return buffer;
  };
  // Small: the next appends are written over the given-back ones.
  const std::string small(100, 's');
  ASSERT_TRUE(leader.Propose(small).ok());
  Ready ready = leader.GetReady();
  ASSERT_EQ(ready.messages.size(), 2u);
  const char* const buffer = ready.messages[0].entries(0).data().data();
  leader.RecycleMessages(std::move(ready.messages));
  EXPECT_EQ(propose_and_recycle(small), buffer);
  EXPECT_EQ(propose_and_recycle(small), buffer);
  // Large, given back: released when the next appends reuse them.
  const std::string huge(16 * kMaxKeptBufferBytes, 'h');
  propose_and_recycle(huge);
  EXPECT_GT(leader.SpareMessageBytes(), huge.size());
  propose_and_recycle(small);
  EXPECT_LE(leader.SpareMessageBytes(), 2 * kMaxKeptBufferBytes);
  // Large, left in the Ready that the next GetReadyInto refills: they
  // become the core's spares, and are released as they are reused.
  persist(ready);
  ASSERT_TRUE(leader.Propose(huge).ok());
  leader.GetReadyInto(ready);
  ASSERT_EQ(ready.messages.size(), 2u);
  ASSERT_EQ(ready.messages[0].entries(0).data(), huge);
  persist(ready);
  ASSERT_TRUE(leader.Propose(small).ok());
  leader.GetReadyInto(ready);
  ASSERT_EQ(ready.messages.size(), 2u);
  propose_and_recycle(small);
  EXPECT_LE(leader.SpareMessageBytes(), 2 * kMaxKeptBufferBytes);
}

// GetReadyInto replaces everything the refilled Ready held: the result
// equals a fresh GetReady's on a twin cluster.
TEST(RaftEarlyTest, ARefilledReadyEqualsAFreshOne) {
  const auto serialized = [](const auto& messages) {
    std::string out;
    for (const auto& m : messages) out += m.SerializeAsString() + "|";
    return out;
  };
  TestCluster fresh_cluster({1, 2, 3});
  TestCluster refill_cluster({1, 2, 3});
  Ready stale;  // Junk in every field, as a previous batch would leave it.
  stale.soft_state.leader_id = 9;
  stale.hard_state.emplace().set_term(99);
  stale.snapshot.emplace().mutable_metadata()->set_index(77);
  stale.entries.emplace_back().set_index(55);
  stale.must_sync = true;
  stale.messages.emplace_back().set_term(44);
  stale.messages_after_persist.emplace_back().set_term(33);
  stale.committed_entries.emplace_back().set_index(22);
  stale.read_states.push_back(ReadState{11, 1});
  for (TestCluster* c : {&fresh_cluster, &refill_cluster}) {
    c->ElectLeader(1);
    ASSERT_TRUE(c->node(1).Propose("a").ok());
  }
  Ready fresh = fresh_cluster.node(1).GetReady();
  refill_cluster.node(1).GetReadyInto(stale);
  EXPECT_EQ(stale.soft_state, fresh.soft_state);
  ASSERT_EQ(stale.hard_state.has_value(), fresh.hard_state.has_value());
  if (fresh.hard_state) {
    EXPECT_EQ(stale.hard_state->SerializeAsString(), fresh.hard_state->SerializeAsString());
  }
  EXPECT_EQ(stale.snapshot.has_value(), fresh.snapshot.has_value());
  EXPECT_EQ(serialized(stale.entries), serialized(fresh.entries));
  EXPECT_EQ(stale.must_sync, fresh.must_sync);
  EXPECT_EQ(serialized(stale.messages), serialized(fresh.messages));
  EXPECT_EQ(serialized(stale.messages_after_persist), serialized(fresh.messages_after_persist));
  EXPECT_EQ(serialized(stale.committed_entries), serialized(fresh.committed_entries));
  EXPECT_EQ(stale.read_states, fresh.read_states);
}

// Everything a Ready carries, for comparing two.
std::string Describe(const Ready& ready) {
  std::string out = ready.hard_state ? ready.hard_state->SerializeAsString() : "-";
  out += ready.must_sync ? "|sync|" : "|nosync|";
  for (const Entry& e : ready.entries) out += e.SerializeAsString() + ",";
  out += "|";
  for (const Entry& e : ready.committed_entries) out += e.SerializeAsString() + ",";
  out += "|";
  for (const Message& m : ready.messages) out += m.SerializeAsString() + ",";
  out += "|";
  for (const Message& m : ready.messages_after_persist) out += m.SerializeAsString() + ",";
  return out;
}

// How LeaderIteration takes a Ready and gives back its messages.
enum class Host {
  kFresh,    // A fresh Ready each time; messages dropped with it.
  kRefill,   // One Ready refilled by GetReadyInto.
  kRecycle,  // A fresh Ready; its message vectors go back to the core.
};

// One host iteration for the leader, by hand. The Ready is left as the host
// leaves it (only messages taken), so a refill starts from its entries.
std::string LeaderIteration(TestCluster& cluster, Ready& ready, Host host) {
  Raft& leader = cluster.node(1);
  if (host == Host::kRefill) {
    leader.GetReadyInto(ready);
  } else {
    ready = leader.GetReady();
  }
  const std::string described = Describe(ready);
  cluster.storage(1).Append(ready.entries);
  if (ready.hard_state) cluster.storage(1).SetHardState(*ready.hard_state);
  // Copied rather than moved when recycled, so that the core gets back
  // messages that still carry their entries, as a host's would.
  for (auto* messages : {&ready.messages, &ready.messages_after_persist}) {
    if (host == Host::kRecycle) {
      for (const Message& m : *messages) cluster.network().push_back(m);
      leader.RecycleMessages(std::move(*messages));
    } else {
      for (Message& m : *messages) cluster.network().push_back(std::move(m));
      messages->clear();
    }
  }
  leader.AckPersisted();
  if (!ready.committed_entries.empty()) leader.AckApplied(ready.committed_entries.back().index());
  // The followers persist and answer.
  cluster.DeliverAll();
  for (uint64_t id : {2, 3}) cluster.ProcessReady(id);
  cluster.DeliverAll();
  return described;
}

// Runs the same proposals (and, for "read", a ReadIndex) on two clusters,
// hosted as `host` and as a fresh Ready each time, and expects every Ready
// of the leader to be the same.
void ExpectSameReadiesAsFresh(Host host) {
  TestCluster fresh_cluster({1, 2, 3});
  TestCluster tested_cluster({1, 2, 3});
  Ready unused;
  Ready tested;
  for (TestCluster* c : {&fresh_cluster, &tested_cluster}) c->ElectLeader(1);
  for (const std::string command : {"a-long-command", "b", "read", "", "c", "read"}) {
    for (int step = 0; step < 3; ++step) {
      if (step == 0) {
        for (TestCluster* c : {&fresh_cluster, &tested_cluster}) {
          ASSERT_TRUE(command == "read" ? c->node(1).ReadIndex(7).ok() : c->node(1).Propose(command).ok());
        }
      }
      ASSERT_EQ(fresh_cluster.node(1).HasReady(), tested_cluster.node(1).HasReady());
      if (!fresh_cluster.node(1).HasReady()) continue;
      EXPECT_EQ(LeaderIteration(tested_cluster, tested, host),
                LeaderIteration(fresh_cluster, unused, Host::kFresh))
          << "command " << command << " step " << step;
    }
  }
  tested_cluster.CheckInvariants();
}

// Refilled Readies that alternate between carrying entries and not (their
// entry objects are parked and reused, raft_ready.cc) equal fresh ones.
TEST(RaftEarlyTest, RefilledReadiesWithAndWithoutEntriesEqualFreshOnes) {
  ExpectSameReadiesAsFresh(Host::kRefill);
}

// Messages given back are cleared and refilled (raft.h, outgoing_): what
// the core builds in a spent append or heartbeat equals what it builds
// afresh.
TEST(RaftEarlyTest, MessagesBuiltInRecycledOnesEqualFreshOnes) {
  ExpectSameReadiesAsFresh(Host::kRecycle);
}

// A reused message keeps its entry objects and their data strings: copying
// the next entries into it allocates nothing. (The string's capacity tells:
// a fresh entry's would fit "b" alone, and a freed object's address may
// well be handed out again.)
TEST(RaftEarlyTest, ARecycledMessageKeepsItsEntryStorage) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  Raft& leader = cluster.node(1);
  const std::string long_command(200, 'a');
  ASSERT_TRUE(leader.Propose(long_command).ok());
  Ready first = leader.GetReady();
  ASSERT_FALSE(first.messages.empty());
  ASSERT_EQ(first.messages[0].entries_size(), 1);
  ASSERT_EQ(first.messages[0].entries(0).data(), long_command);
  leader.RecycleMessages(std::move(first.messages));
  ASSERT_TRUE(leader.Propose("b").ok());
  std::vector<Message> early = leader.TakeMessagesEarly();
  ASSERT_FALSE(early.empty());
  ASSERT_EQ(early[0].entries_size(), 1);
  EXPECT_EQ(early[0].entries(0).data(), "b");
  EXPECT_GE(early[0].entries(0).data().capacity(), long_command.size());
}

TEST(RaftEarlyTest, NothingIsTakenEarlyWithoutAnOutstandingReady) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).Propose("a").ok());
  EXPECT_TRUE(cluster.node(1).TakeMessagesEarly().empty());
  EXPECT_TRUE(cluster.node(1).TakeCommittedEntriesEarly().empty());
  EXPECT_TRUE(cluster.node(1).HasReady());  // Everything is left for GetReady.
}

TEST(RaftEarlyTest, EntriesCommittedDuringAnOutstandingReadyAreTakenOnce) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  Raft& leader = cluster.node(1);
  ASSERT_TRUE(leader.Propose("a").ok());
  ASSERT_TRUE(cluster.ProcessReady(1));  // "a" durable on the leader; appends queued.
  ASSERT_TRUE(leader.Propose("b").ok());
  Ready outstanding = leader.GetReady();
  ASSERT_EQ(outstanding.entries.size(), 1u);
  EXPECT_EQ(outstanding.entries[0].data(), "b");
  EXPECT_TRUE(leader.TakeCommittedEntriesEarly().empty());  // "a" not acknowledged yet.
  cluster.DeliverAll();                                     // Appends of "a".
  ASSERT_TRUE(cluster.ProcessReady(2));
  ASSERT_TRUE(cluster.ProcessReady(3));
  cluster.DeliverAll();  // Their acknowledgements.
  std::vector<Entry> early = leader.TakeCommittedEntriesEarly();
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].data(), "a");
  EXPECT_TRUE(leader.TakeCommittedEntriesEarly().empty());
  // "b" is not durable on the leader yet: it is never handed out early, even
  // once the followers have it.
  for (Message& m : leader.TakeMessagesEarly()) cluster.network().push_back(std::move(m));
  for (Message& m : outstanding.messages) cluster.network().push_back(std::move(m));
  outstanding.messages.clear();
  cluster.DeliverAll();
  cluster.ProcessReady(2);
  cluster.ProcessReady(3);
  cluster.DeliverAll();
  EXPECT_TRUE(leader.TakeCommittedEntriesEarly().empty());
  leader.AckApplied(early[0].index());
  Finish(cluster, 1, outstanding);
  cluster.Stabilize();
  EXPECT_EQ(leader.log().committed(), cluster.node(2).log().committed());
  EXPECT_EQ(cluster.applied(2).back(), "b");
  cluster.CheckInvariants();
}

TEST(RaftEarlyTest, AppendsForNewProposalsLeaveWhileTheLeaderSyncs) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  Raft& leader = cluster.node(1);
  ASSERT_TRUE(leader.Propose("a").ok());
  Ready outstanding = leader.GetReady();
  ASSERT_TRUE(leader.Propose("b").ok());
  // The append carrying "b" may leave before the leader's own entries are
  // durable (thesis 10.2.1); GetReady would have put it in `messages`.
  std::vector<Message> early = leader.TakeMessagesEarly();
  bool carries_b = false;
  for (const Message& m : early) {
    EXPECT_EQ(m.type(), MSG_APP);
    for (const Entry& e : m.entries()) carries_b |= e.data() == "b";
  }
  EXPECT_TRUE(carries_b);
  for (Message& m : early) cluster.network().push_back(std::move(m));
  Finish(cluster, 1, outstanding);
  cluster.Stabilize();
  EXPECT_EQ(cluster.applied(3).back(), "b");
  cluster.CheckInvariants();
}

TEST(RaftEarlyTest, FollowerAcknowledgementsWaitForPersistence) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  ASSERT_TRUE(cluster.node(1).Propose("a").ok());
  cluster.ProcessReady(1);
  cluster.DeliverAll();
  Raft& follower = cluster.node(2);
  Ready outstanding = follower.GetReady();  // Holds "a", not yet durable.
  ASSERT_FALSE(outstanding.entries.empty());
  // A second append arrives while the first is being synced.
  ASSERT_TRUE(cluster.node(1).Propose("b").ok());
  cluster.ProcessReady(1);
  cluster.DeliverAll();
  for (const Message& m : follower.TakeMessagesEarly()) {
    EXPECT_NE(m.type(), MSG_APP_RESP) << "an acknowledgement left before its entries were durable";
  }
  Finish(cluster, 2, outstanding);
  cluster.Stabilize();
  cluster.CheckInvariants();
}

// A heartbeat response claims only the term, which is durable, so it
// leaves while the follower's new entries are still being synced (issue 8);
// the acknowledgement of those entries waits for them.
TEST(RaftEarlyTest, HeartbeatResponsesLeaveBeforeEntriesAreDurable) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  Raft& leader = cluster.node(1);
  ASSERT_TRUE(leader.Propose("a").ok());
  cluster.ProcessReady(1);
  cluster.DeliverAll();
  Raft& follower = cluster.node(2);
  Ready outstanding = follower.GetReady();  // Holds "a", not yet durable.
  ASSERT_FALSE(outstanding.entries.empty());
  ASSERT_EQ(outstanding.messages_after_persist.size(), 1u);
  EXPECT_EQ(outstanding.messages_after_persist[0].type(), MSG_APP_RESP);
  EXPECT_TRUE(outstanding.messages.empty());
  // A ReadIndex round's heartbeat arrives meanwhile.
  ASSERT_TRUE(leader.ReadIndex(7).ok());
  cluster.ProcessReady(1);
  cluster.DeliverAll();
  std::vector<Message> early = follower.TakeMessagesEarly();
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].type(), MSG_HEARTBEAT_RESP);
  for (Message& m : early) cluster.network().push_back(std::move(m));
  Finish(cluster, 2, outstanding);
  cluster.Stabilize();
  cluster.CheckInvariants();
}

TEST(RaftEarlyTest, ReadStatesAreTakenWithoutAReady) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  Raft& leader = cluster.node(1);
  ASSERT_TRUE(leader.Propose("a").ok());
  Ready outstanding = leader.GetReady();
  ASSERT_TRUE(leader.ReadIndex(42).ok());
  // The round's heartbeats leave at once...
  std::vector<Message> early = leader.TakeMessagesEarly();
  ASSERT_FALSE(early.empty());
  for (Message& m : early) {
    EXPECT_EQ(m.type(), MSG_HEARTBEAT);
    cluster.network().push_back(std::move(m));
  }
  cluster.DeliverAll();
  cluster.ProcessReady(2);
  cluster.ProcessReady(3);
  cluster.DeliverAll();
  // ...and the read is safe before the outstanding Ready is persisted.
  std::vector<ReadState> reads = leader.TakeReadStates();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].request_id, 42u);
  EXPECT_TRUE(leader.TakeReadStates().empty());
  Finish(cluster, 1, outstanding);
  cluster.Stabilize();
  cluster.CheckInvariants();
}

}  // namespace
}  // namespace kv::raft
