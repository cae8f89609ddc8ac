// Linearizable reads: ReadIndex (thesis 6.4) and leases (thesis 6.4.1).
#include <gtest/gtest.h>

#include <map>

#include "raft/raft.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::TestCluster;

void LeaseConfig(Config& c) {
  c.read_only_option = ReadOnlyOption::kLeaseBased;
  c.max_clock_drift_ticks = 2;
}

// Members with leases withhold votes for an election timeout after boot.
void ElectAfterBootLease(TestCluster& cluster, uint64_t id) {
  cluster.TickAll(10);
  cluster.Stabilize();
  for (uint64_t member : cluster.ids()) {
    if (member != id && cluster.node(member).role() == Role::kLeader) {
      ASSERT_TRUE(cluster.node(member).TransferLeadership(id).ok());
      cluster.Stabilize();
    }
  }
  if (cluster.node(id).role() != Role::kLeader) cluster.ElectLeader(id);
  ASSERT_EQ(cluster.node(id).role(), Role::kLeader);
}

TEST(RaftReadTest, ReadIndexIsServedAfterAQuorumConfirmsLeadership) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  ASSERT_TRUE(cluster.node(1).ReadIndex(7).ok());
  cluster.ProcessReady(1);
  EXPECT_TRUE(cluster.TakeReadStates(1).empty());
  cluster.Stabilize();
  std::vector<ReadState> reads = cluster.TakeReadStates(1);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].request_id, 7u);
  EXPECT_EQ(reads[0].index, cluster.node(1).log().committed());
}

void AllMembersFanout(Config& c) { c.read_index_fanout = ReadIndexFanout::kAllMembers; }

TEST(RaftReadTest, AReadIndexRoundStandsInForTheNextPeriodicHeartbeat) {
  TestCluster cluster({1, 2, 3}, AllMembersFanout);
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  int heartbeats = 0;
  cluster.SetFilter([&heartbeats](const Message& m) {
    heartbeats += m.type() == MSG_HEARTBEAT;
    return false;
  });
  // With no reads, each heartbeat interval (one tick here) sends a round.
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(heartbeats, 2);
  // A ReadIndex round since the last tick replaces the next periodic one...
  ASSERT_TRUE(cluster.node(1).ReadIndex(7).ok());
  cluster.Stabilize();
  EXPECT_EQ(heartbeats, 4);
  ASSERT_EQ(cluster.TakeReadStates(1).size(), 1u);
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(heartbeats, 4);
  // ...and only that one.
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(heartbeats, 6);
}

TEST(RaftReadTest, WithLongerHeartbeatIntervalsAReadRoundRestartsTheInterval) {
  TestCluster cluster({1, 2, 3}, [](Config& c) {
    AllMembersFanout(c);
    c.heartbeat_timeout_ticks = 3;
  });
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  int heartbeats = 0;
  cluster.SetFilter([&heartbeats](const Message& m) {
    heartbeats += m.type() == MSG_HEARTBEAT;
    return false;
  });
  cluster.Tick(1);  // One tick into an interval of three.
  cluster.Stabilize();
  ASSERT_TRUE(cluster.node(1).ReadIndex(7).ok());
  cluster.Stabilize();
  ASSERT_EQ(heartbeats, 2);
  // The read round counts as the interval's heartbeat: the next periodic
  // round comes a whole interval later, never more.
  cluster.Tick(1);
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(heartbeats, 2);
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(heartbeats, 4);
}

// Counts the heartbeats each member receives; drops those to `lost`.
struct HeartbeatCounter {
  std::map<uint64_t, int> received;
  uint64_t lost = 0;
  void Install(TestCluster& cluster) {
    cluster.SetFilter([this](const Message& m) {
      if (m.type() != MSG_HEARTBEAT) return false;
      if (m.to() == lost) return true;
      ++received[m.to()];
      return false;
    });
  }
};

// Member 1 leads; its first read's round goes to member 2 (both followers
// answered, lowest id first), which never hears of it.
void ReadWhoseRoundToMember2IsLost(TestCluster& cluster, HeartbeatCounter& counter) {
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  counter.lost = 2;
  counter.Install(cluster);
  ASSERT_TRUE(cluster.node(1).ReadIndex(1).ok());
  cluster.Stabilize();
  EXPECT_TRUE(cluster.TakeReadStates(1).empty());
}

TEST(RaftReadTest, AQuorumFanoutReadAsksOneFollowerOfTwoAndTheyTakeTurns) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  HeartbeatCounter counter;
  counter.Install(cluster);
  for (uint64_t request = 1; request <= 4; ++request) {
    ASSERT_TRUE(cluster.node(1).ReadIndex(request).ok());
    cluster.Stabilize();
    std::vector<ReadState> reads = cluster.TakeReadStates(1);
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(reads[0].request_id, request);
  }
  // One heartbeat per read, alternating between the two followers.
  EXPECT_EQ(counter.received[2], 2);
  EXPECT_EQ(counter.received[3], 2);
}

TEST(RaftReadTest, AQuorumFanoutReadAsksTwoFollowersOfFour) {
  TestCluster cluster({1, 2, 3, 4, 5});
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  HeartbeatCounter counter;
  counter.Install(cluster);
  ASSERT_TRUE(cluster.node(1).ReadIndex(1).ok());
  cluster.Stabilize();
  ASSERT_EQ(cluster.TakeReadStates(1).size(), 1u);
  EXPECT_EQ(counter.received[2] + counter.received[3] + counter.received[4] +
                counter.received[5],
            2);
}

TEST(RaftReadTest, AQuorumFanoutReadSkipsAFollowerThatHasNotAnswered) {
  TestCluster cluster({1, 2, 3});
  HeartbeatCounter counter;
  ASSERT_NO_FATAL_FAILURE(ReadWhoseRoundToMember2IsLost(cluster, counter));
  // The next reads go to member 3, whose answers confirm the first read too:
  // its round came later.
  for (uint64_t request = 2; request <= 3; ++request) {
    ASSERT_TRUE(cluster.node(1).ReadIndex(request).ok());
    cluster.Stabilize();
  }
  std::vector<ReadState> reads = cluster.TakeReadStates(1);
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(reads[0].request_id, 1u);
  EXPECT_EQ(counter.received[3], 2);
}

TEST(RaftReadTest, AQuorumFanoutReadWhoseFollowerIsSilentIsConfirmedByTheNextTick) {
  TestCluster cluster({1, 2, 3});
  HeartbeatCounter counter;
  ASSERT_NO_FATAL_FAILURE(ReadWhoseRoundToMember2IsLost(cluster, counter));
  // The periodic round skips member 2, which a read's round reached since
  // the last tick, and member 3's answer confirms the read.
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(cluster.TakeReadStates(1).size(), 1u);
  EXPECT_EQ(counter.received[3], 1);
}

TEST(RaftReadTest, AnAppendAnsweredAfterAReadConfirmsIt) {
  TestCluster cluster({1, 2, 3});
  HeartbeatCounter counter;
  ASSERT_NO_FATAL_FAILURE(ReadWhoseRoundToMember2IsLost(cluster, counter));
  // Member 3 hears nothing; member 2 answers the append of a new entry,
  // which carries the read's round.
  cluster.Cut(1, 3);
  cluster.ProposeAndCommit(1, "y");
  std::vector<ReadState> reads = cluster.TakeReadStates(1);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].request_id, 1u);
}

TEST(RaftReadTest, AnAppendSentBeforeAReadDoesNotConfirmIt) {
  // No append after the commit: one would carry the read's round.
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.broadcast_commit = false; });
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  HeartbeatCounter counter;
  counter.lost = 2;
  counter.Install(cluster);
  cluster.Cut(1, 3);
  // The append leaves first, then the read's round (lost on its way to
  // member 2): member 2's answer to the append proves nothing about
  // leadership after the read arrived.
  ASSERT_TRUE(cluster.node(1).Propose("y").ok());
  cluster.ProcessReady(1);
  ASSERT_TRUE(cluster.node(1).ReadIndex(1).ok());
  cluster.Stabilize();
  EXPECT_EQ(cluster.applied(1).back(), "y");  // Member 2 answered the append.
  EXPECT_TRUE(cluster.TakeReadStates(1).empty());
}

TEST(RaftReadTest, APeriodicRoundSkipsOnlyTheFollowersAReadRoundReached) {
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.heartbeat_timeout_ticks = 2; });
  cluster.ElectLeader(1);
  cluster.ProposeAndCommit(1, "x");
  cluster.TickAll(2);
  cluster.Stabilize();
  HeartbeatCounter counter;
  counter.Install(cluster);
  ASSERT_TRUE(cluster.node(1).ReadIndex(1).ok());  // Asks member 2.
  cluster.Stabilize();
  ASSERT_EQ(cluster.TakeReadStates(1).size(), 1u);
  ASSERT_EQ(counter.received[2], 1);
  // A read's round to some members restarts no interval: the round due two
  // ticks after the last one comes. It spares member 3, which a read's
  // round reached since the tick before; member 2's was before that tick.
  cluster.Tick(1);
  cluster.Stabilize();
  ASSERT_TRUE(cluster.node(1).ReadIndex(2).ok());  // Asks member 3.
  cluster.Stabilize();
  ASSERT_EQ(cluster.TakeReadStates(1).size(), 1u);
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(counter.received[2], 2);
  EXPECT_EQ(counter.received[3], 1);
  // The mark lasts one tick: two ticks on, both get the periodic round.
  cluster.Tick(1);
  cluster.Tick(1);
  cluster.Stabilize();
  EXPECT_EQ(counter.received[2], 3);
  EXPECT_EQ(counter.received[3], 2);
}

TEST(RaftReadTest, ReadIndexWithoutQuorumIsNeverServed) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Isolate(1);
  ASSERT_TRUE(cluster.node(1).ReadIndex(7).ok());
  for (int i = 0; i < 5; ++i) {
    cluster.Tick(1);
    cluster.Stabilize();
  }
  EXPECT_TRUE(cluster.TakeReadStates(1).empty());
}

TEST(RaftReadTest, ReadIndexWaitsForTheLeadersFirstCommit) {
  // Thesis 6.4 step 1: until it commits an entry of its term, a new leader's
  // commit index may be behind earlier leaders'.
  TestCluster cluster({1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  ASSERT_TRUE(cluster.node(1).Campaign().ok());
  cluster.ProcessReady(1);
  cluster.DeliverAll();
  cluster.ProcessReady(2);
  cluster.ProcessReady(3);
  cluster.DeliverAll();
  ASSERT_EQ(cluster.node(1).role(), Role::kLeader);
  ASSERT_LT(cluster.node(1).log().committed(), cluster.node(1).log().LastIndex());
  ASSERT_TRUE(cluster.node(1).ReadIndex(9).ok());
  cluster.Stabilize();
  std::vector<ReadState> reads = cluster.TakeReadStates(1);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].index, cluster.node(1).log().LastIndex());
}

TEST(RaftReadTest, LateAcknowledgementOfEarlierRoundDoesNotConfirmNewRead) {
  // Each read carries a fresh heartbeat sequence (etcd#20418).
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  cluster.Tick(1);  // An earlier heartbeat round.
  cluster.ProcessReady(1);
  std::deque<Message> old_round;
  old_round.swap(cluster.network());
  ASSERT_TRUE(cluster.node(1).ReadIndex(1).ok());
  cluster.ProcessReady(1);
  cluster.network().clear();  // The read's own round is lost.
  for (const Message& m : old_round) cluster.network().push_back(m);
  cluster.DeliverAll();
  cluster.ProcessReady(2);
  cluster.ProcessReady(3);
  cluster.DeliverAll();
  cluster.ProcessReady(1);
  EXPECT_TRUE(cluster.TakeReadStates(1).empty());
}

TEST(RaftReadTest, ReadIndexOnFollowerIsRefused) {
  TestCluster cluster({1, 2, 3});
  cluster.ElectLeader(1);
  EXPECT_EQ(cluster.node(2).ReadIndex(1).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RaftReadTest, TooManyPendingReadsAreRefused) {
  TestCluster cluster({1, 2, 3},
                      [](Config& c) { c.max_pending_read_requests = 2; });
  cluster.ElectLeader(1);
  cluster.Isolate(1);
  ASSERT_TRUE(cluster.node(1).ReadIndex(1).ok());
  ASSERT_TRUE(cluster.node(1).ReadIndex(2).ok());
  EXPECT_EQ(cluster.node(1).ReadIndex(3).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(RaftReadTest, SingleVoterServesReadsAtOnce) {
  TestCluster cluster({1});
  cluster.ElectLeader(1);
  ASSERT_TRUE(cluster.node(1).ReadIndex(5).ok());
  cluster.ProcessReady(1);
  EXPECT_EQ(cluster.TakeReadStates(1).size(), 1u);
}

TEST(RaftReadTest, LeaseReadIsServedWithoutARoundTrip) {
  TestCluster cluster({1, 2, 3}, LeaseConfig);
  ElectAfterBootLease(cluster, 1);
  cluster.Tick(1);
  cluster.Stabilize();
  ASSERT_TRUE(cluster.node(1).LeaseValid());
  cluster.Isolate(1);
  ASSERT_TRUE(cluster.node(1).ReadIndex(3).ok());
  cluster.ProcessReady(1);
  EXPECT_EQ(cluster.TakeReadStates(1).size(), 1u);
}

TEST(RaftReadTest, LeaseExpiresBeforeFollowersMayElectAnother) {
  // Lease = election timeout - drift bound after the last quorum-acked round.
  TestCluster cluster({1, 2, 3}, LeaseConfig);
  ElectAfterBootLease(cluster, 1);
  cluster.Tick(1);
  cluster.Stabilize();
  cluster.Isolate(1);
  int valid_ticks = 0;
  while (cluster.node(1).LeaseValid()) {
    cluster.Tick(1);
    cluster.Stabilize();
    ++valid_ticks;
  }
  EXPECT_EQ(valid_ticks, 10 - 2);
  ASSERT_TRUE(cluster.node(1).ReadIndex(3).ok());
  cluster.ProcessReady(1);
  EXPECT_TRUE(cluster.TakeReadStates(1).empty());
}

TEST(RaftReadTest, LeaseIsSuspendedDuringLeadershipTransfer) {
  TestCluster cluster({1, 2, 3}, LeaseConfig);
  ElectAfterBootLease(cluster, 1);
  cluster.Tick(1);
  cluster.Stabilize();
  ASSERT_TRUE(cluster.node(1).LeaseValid());
  cluster.Isolate(2);
  ASSERT_TRUE(cluster.node(1).TransferLeadership(2).ok());
  EXPECT_FALSE(cluster.node(1).LeaseValid());
}

TEST(RaftReadTest, LeaseStaysVoidAfterAnAbortedTransferSentTimeoutNow) {
  // Found by the simulator (seed 215, 5 members): a delayed MSG_TIMEOUT_NOW
  // arrived after the transfer had been aborted, and its election overrode
  // the followers' vote lease while the old leader still served lease reads.
  TestCluster cluster({1, 2, 3}, LeaseConfig);
  ElectAfterBootLease(cluster, 1);
  cluster.SetFilter([](const Message& m) { return m.type() == MSG_TIMEOUT_NOW; });
  ASSERT_TRUE(cluster.node(1).TransferLeadership(2).ok());
  cluster.Stabilize();
  for (int i = 0; i < 10; ++i) {
    cluster.Tick(1);
    cluster.Stabilize();
  }
  ASSERT_EQ(cluster.node(1).lead_transferee(), 0u);  // Aborted.
  ASSERT_EQ(cluster.node(1).role(), Role::kLeader);
  EXPECT_FALSE(cluster.node(1).LeaseValid());
}

TEST(RaftReadTest, RestartedMemberWithholdsVotesForAnElectionTimeout) {
  // With leases, a member may have promised a leader not to vote before it
  // crashed; after a restart it withholds votes for one election timeout.
  TestCluster cluster({1, 2, 3}, LeaseConfig);
  ElectAfterBootLease(cluster, 1);
  cluster.Restart(2);
  cluster.ProcessReady(2);  // Re-applies the log; sends nothing.
  Message request;
  request.set_type(MSG_PRE_VOTE);
  request.set_from(3);
  request.set_to(2);
  request.set_term(cluster.node(2).term() + 1);
  request.set_index(100);
  request.set_log_term(cluster.node(2).term());
  ASSERT_TRUE(cluster.node(2).Step(request).ok());
  EXPECT_FALSE(cluster.node(2).HasReady());
  cluster.Tick(2, 10);
  ASSERT_TRUE(cluster.node(2).Step(request).ok());
  EXPECT_TRUE(cluster.node(2).HasReady());
}

}  // namespace
}  // namespace kv::raft
