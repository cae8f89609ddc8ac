// Scripted scenarios on a small simulated KV cluster: behaviours that a
// random sweep exercises only by chance are forced here, step by step.

#include "sim/cluster/kv_cluster.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "raft/kept_buffer.h"

namespace kv::sim {
namespace {

using env::kMillisecond;
using env::kSecond;

class KvClusterTest : public ::testing::Test {
 protected:
  static KvClusterOptions Options(int servers, int shards, int clients) {
    KvClusterOptions o;
    o.servers = servers;
    o.shards = shards;
    o.replication_factor = servers < 3 ? servers : 3;
    o.clients = clients;
    o.link.tail_ppm = 0;
    return o;
  }
  void Build(int servers, int shards, int clients) { Build(Options(servers, shards, clients)); }
  void Build(const KvClusterOptions& o) {
    cluster_ = std::make_unique<KvCluster>(scheduler_, env::Random(5), o);
    ASSERT_TRUE(cluster_->Start().ok());
    RunFor(2 * kSecond);  // Elections.
  }

  void RunFor(env::DurationNs d) { scheduler_.RunUntil(scheduler_.now_ns() + d); }

  // Three servers, one shard, one client, compacting every `threshold`
  // entries. Returns the leader of shard 1 (-1 if none).
  int BuildCompacting(uint64_t threshold) {
    KvClusterOptions o = Options(3, 1, 1);
    o.node.compact_threshold_entries = threshold;
    Build(o);
    return LeaderOf(1);
  }
  uint64_t Applied(int server) {
    return cluster_->server(server)->replicas().at(1)->state_machine().applied_index();
  }
  // `n` writes by client 0, each waited for, to a few keys.
  void WriteMany(int n) {
    for (int i = 0; i < n; ++i, ++written_) {
      auto put = Call([&](auto done) {
        cluster_->client(0).Put(absl::StrCat("k", written_ % 7), absl::StrCat("v", written_), done);
      });
      ASSERT_TRUE(put.has_value() && put->ok());
    }
  }

  // A cluster compacting every 20 entries whose shard-1 leader wrote 60
  // entries a follower missed (so it needs a snapshot); their link, still
  // cut, has a 20 ms latency both ways, so that a transfer takes a while.
  struct FollowerBehind {
    int leader = -1;
    int follower = -1;
    const node::ShardReplica* leading = nullptr;
    int64_t leader_memory_before = 0;  // Used bytes before any snapshot.
  };
  FollowerBehind BuildWithAFollowerBehindOnASlowLink() {
    FollowerBehind b;
    b.leader = BuildCompacting(20);
    if (b.leader < 0) return b;
    b.follower = (b.leader + 1) % 3;
    b.leading = cluster_->server(b.leader)->replicas().at(1).get();
    cluster_->network().Block(b.leader, b.follower);
    WriteMany(60);
    sim::LinkProfile slow = cluster_->network().link_profile(b.leader, b.follower);
    slow.latency_base_ns = 20 * kMillisecond;
    slow.latency_jitter_ns = 0;
    slow.tail_ppm = 0;
    cluster_->network().SetLinkProfile(b.leader, b.follower, slow);
    cluster_->network().SetLinkProfile(b.follower, b.leader, slow);
    b.leader_memory_before = cluster_->server_memory(b.leader).used_bytes();
    return b;
  }

  // The node leading `shard`, or -1.
  int LeaderOf(uint64_t shard) {
    for (int i = 0; i < cluster_->server_count(); ++i) {
      node::KvNode* n = cluster_->server(i);
      if (n == nullptr || n->replicas().count(shard) == 0) continue;
      if (n->replicas().at(shard)->is_leader()) return i;
    }
    return -1;
  }

  // Issues a call and runs until it completes (or `limit` passes).
  template <typename Issue>
  std::optional<absl::StatusOr<node::pb::Result>> Call(Issue issue, env::DurationNs limit = 10 * kSecond) {
    std::optional<absl::StatusOr<node::pb::Result>> out;
    issue([&](absl::StatusOr<node::pb::Result> r) { out = std::move(r); });
    const env::TimeNs end = scheduler_.now_ns() + limit;
    while (!out.has_value() && scheduler_.now_ns() < end) RunFor(10 * kMillisecond);
    return out;
  }

  Scheduler scheduler_;
  std::unique_ptr<KvCluster> cluster_;
  int written_ = 0;
};

TEST_F(KvClusterTest, PutGetDeleteCasThroughTheClientLibrary) {
  Build(3, 2, 1);
  node::KvClient& c = cluster_->client(0);
  auto put = Call([&](auto done) { c.Put("alpha", "1", done); });
  ASSERT_TRUE(put.has_value() && put->ok()) << (put ? put->status().ToString() : "timeout");
  auto get = Call([&](auto done) { c.Get("alpha", done); });
  ASSERT_TRUE(get->ok());
  EXPECT_EQ((*get)->value(), "1");
  auto cas_bad = Call([&](auto done) { c.Cas("alpha", std::string("0"), "2", done); });
  EXPECT_EQ((*cas_bad)->code(), node::pb::CODE_CAS_MISMATCH);
  auto cas_ok = Call([&](auto done) { c.Cas("alpha", std::string("1"), "2", done); });
  EXPECT_EQ((*cas_ok)->code(), node::pb::CODE_OK);
  auto del = Call([&](auto done) { c.Delete("alpha", done); });
  EXPECT_EQ((*del)->code(), node::pb::CODE_OK);
  auto gone = Call([&](auto done) { c.Get("alpha", done); });
  EXPECT_EQ((*gone)->code(), node::pb::CODE_NOT_FOUND);
}

TEST_F(KvClusterTest, ACommitIndexAloneIsNotWrittenButRidesWithTheNextWrite) {
  Build(3, 1, 1);
  node::KvClient& c = cluster_->client(0);
  auto put = Call([&](auto done) { c.Put("alpha", "1", done); });
  ASSERT_TRUE(put.has_value() && put->ok());
  RunFor(kSecond);  // Heartbeats carry the commit index to the followers.
  const uint64_t shard = cluster_->cluster().shard_ids().front();
  uint64_t lagging = 0;
  std::vector<uint64_t> committed(3, 0);
  for (int i = 0; i < 3; ++i) {
    const node::ShardReplica& r = *cluster_->server(i)->replicas().at(shard);
    committed[i] = r.raft().log().committed();
    const storage::LogStorage* log = cluster_->log_storage(i, shard);
    ASSERT_NE(log, nullptr);
    EXPECT_LE(log->hard_state().commit, committed[i]);
    // Every replica applied the put, yet (leader and followers alike) the
    // commit index that covers it was learned in a Ready of its own.
    EXPECT_EQ(r.applied_index(), committed[i]);
    lagging += log->hard_state().commit < committed[i];
  }
  EXPECT_EQ(lagging, 3u);
  // The next write's entries carry the newer hard state.
  auto put2 = Call([&](auto done) { c.Put("alpha", "2", done); });
  ASSERT_TRUE(put2.has_value() && put2->ok());
  RunFor(kSecond);
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(cluster_->log_storage(i, shard)->hard_state().commit, committed[i]) << "server " << i;
  }
  // A restart with a lagging stored commit index recovers the same state.
  ASSERT_TRUE(cluster_->Crash(1));
  ASSERT_TRUE(cluster_->Restart(1));
  RunFor(2 * kSecond);
  auto value = cluster_->server(1)->replicas().at(shard)->ReadLocal("alpha");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->value(), "2");
}

// A burst of large values leaves no large buffer kept for reuse on any
// replica or client (kept_buffer.h): not in the replica's log write, read
// result, applied entries and results, the state machine's batch buffers,
// the Raft core's spare messages and entries or the client's request
// buffer; small requests afterwards still keep theirs.
TEST_F(KvClusterTest, ABurstOfLargeValuesLeavesNoLargeBufferKept) {
  Build(3, 1, 1);
  node::KvClient& c = cluster_->client(0);
  const std::string huge(64 * raft::kMaxKeptBufferBytes, 'h');
  for (int i = 0; i < 4; ++i) {
    const std::string key = absl::StrCat("k", i);
    auto put = Call([&](auto done) { c.Put(key, huge, done); });
    ASSERT_TRUE(put.has_value() && put->ok());
    auto get = Call([&](auto done) { c.Get(key, done); });
    ASSERT_TRUE(get.has_value() && get->ok());
    EXPECT_EQ((*get)->value(), huge);
  }
  // A compare-and-set that does not match answers with the current value.
  auto cas = Call([&](auto done) { c.Cas("k0", std::string("other"), "new", done); });
  ASSERT_TRUE(cas.has_value() && cas->ok());
  EXPECT_EQ((*cas)->code(), node::pb::CODE_CAS_MISMATCH);
  EXPECT_EQ((*cas)->value(), huge);
  // Small requests, then heartbeats, reuse (and so bound) the spares.
  const std::string small(100, 's');
  for (int i = 0; i < 4; ++i) {
    auto put = Call([&](auto done) { c.Put("small", small, done); });
    ASSERT_TRUE(put.has_value() && put->ok());
    auto get = Call([&](auto done) { c.Get("small", done); });
    ASSERT_TRUE(get.has_value() && get->ok());
  }
  RunFor(kSecond);
  EXPECT_LE(c.KeptRequestBufferBytes(), raft::kMaxKeptBufferBytes);
  for (int i = 0; i < 3; ++i) {
    const node::ShardReplica& replica = *cluster_->server(i)->replicas().at(1);
    EXPECT_LE(replica.LargestKeptBufferBytes(), raft::kMaxKeptBufferBytes) << "server " << i;
    EXPECT_LE(replica.state_machine().LargestKeptValueBytes(), raft::kMaxKeptBufferBytes) << "server " << i;
    EXPECT_LE(replica.raft().SpareMessageBytes(), 16 * raft::kMaxKeptBufferBytes) << "server " << i;
    EXPECT_LE(replica.raft().LargestParkedEntryBytes(), 2 * raft::kMaxKeptBufferBytes) << "server " << i;
    // The small payloads' buffers are kept (longer than a short string's).
    EXPECT_GT(replica.LargestKeptBufferBytes(), small.size()) << "server " << i;
  }
}

TEST_F(KvClusterTest, OversizedValueIsRefusedWithAClearError) {
  Build(3, 1, 1);
  auto put = Call([&](auto done) { cluster_->client(0).Put("big", std::string((1 << 20) + 1, 'x'), done); });
  ASSERT_TRUE(put.has_value());
  EXPECT_EQ(put->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(put->status().message().find("exceeds the limit of 1048576"), absl::string_view::npos)
      << put->status();
}

// A client that does not know a shard's leader asks a replica; a follower
// answers NOT_LEADER naming the leader, and the client goes straight there,
// without waiting out a backoff (5 ms at first, at least half of it drawn).
TEST_F(KvClusterTest, ANotLeaderHintIsFollowedAtOnce) {
  Build(3, 8, 1);
  node::KvClient& c = cluster_->client(0);
  int redirected = 0;
  for (int i = 0; i < 64 && redirected < 3; ++i) {
    // The first call to a shard: no leader cached for it yet.
    const std::string key = absl::StrCat("key", i);
    const uint64_t shard = cluster_->cluster().ShardOf(key);
    if (LeaderOf(shard) < 0) continue;
    const node::KvClientStats before = c.stats();
    const env::TimeNs start = scheduler_.now_ns();
    env::TimeNs end = 0;
    auto put = Call([&](auto done) {
      c.Put(key, "v", [&, done = std::move(done)](absl::StatusOr<node::pb::Result> r) mutable {
        end = scheduler_.now_ns();
        done(std::move(r));
      });
    });
    ASSERT_TRUE(put.has_value() && put->ok());
    if (c.stats().redirects == before.redirects) continue;  // Asked the leader first.
    ASSERT_EQ(c.stats().redirects, before.redirects + 1);
    ASSERT_EQ(c.stats().timeouts, before.timeouts);
    ++redirected;
    EXPECT_LT(end - start, 2 * kMillisecond) << key << ": the redirect waited";
  }
  EXPECT_EQ(redirected, 3);
}

// The leader commits a write but its reply is lost; the leader then dies.
// The client retries (same sequence) at the new leader, which answers from
// the session table: the write is applied exactly once.
TEST_F(KvClusterTest, RetriedWriteIsAppliedOnceAcrossALeaderChange) {
  Build(3, 1, 1);
  const int leader = LeaderOf(1);
  ASSERT_GE(leader, 0);
  const env::NodeId client_node = 3;
  // Replies from the leader to the client are lost from now on.
  cluster_->network().Block(leader, client_node);
  std::optional<absl::StatusOr<node::pb::Result>> result;
  cluster_->client(0).Put("k", "v1", [&](absl::StatusOr<node::pb::Result> r) { result = std::move(r); });
  RunFor(300 * kMillisecond);  // Committed everywhere, reply lost, client retrying.
  ASSERT_FALSE(result.has_value());
  ASSERT_TRUE(cluster_->Crash(leader));
  for (int i = 0; i < 300 && !result.has_value(); ++i) RunFor(10 * kMillisecond);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_EQ((*result)->code(), node::pb::CODE_OK);
  const int new_leader = LeaderOf(1);
  ASSERT_GE(new_leader, 0);
  ASSERT_NE(new_leader, leader);
  EXPECT_GE(cluster_->server(new_leader)->replicas().at(1)->state_machine().deduplicated_count(), 1u);
  // A later write by the same client goes through, and the value is right.
  cluster_->network().Heal();
  ASSERT_TRUE(cluster_->Restart(leader));
  auto put2 = Call([&](auto done) { cluster_->client(0).Put("k", "v2", done); });
  ASSERT_TRUE(put2->ok());
  auto get = Call([&](auto done) { cluster_->client(0).Get("k", done); });
  EXPECT_EQ((*get)->value(), "v2");
}

// A leader compacts its log but keeps the entries a follower a little
// behind still needs, so that follower catches up from the log; one further
// behind than the compaction threshold gets a snapshot.
TEST_F(KvClusterTest, ALeaderKeepsTheEntriesAFollowerALittleBehindStillNeeds) {
  const int leader = BuildCompacting(40);
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % 3;
  const node::ShardReplica& leading = *cluster_->server(leader)->replicas().at(1);
  WriteMany(30);
  // The follower hears nothing for 30 writes; the log passes the threshold
  // meanwhile and is compacted, but not past what the follower holds.
  cluster_->network().Block(leader, follower);
  WriteMany(30);
  EXPECT_GT(cluster_->log_storage(leader, 1)->FirstIndex(), 1u);
  EXPECT_LE(cluster_->log_storage(leader, 1)->FirstIndex(), cluster_->log_storage(follower, 1)->LastIndex() + 1);
  cluster_->network().Heal();
  RunFor(kSecond);
  EXPECT_EQ(Applied(follower), Applied(leader));
  EXPECT_EQ(leading.snapshots_made(), 0u);
  // Now 60 writes behind, more than the threshold: a snapshot it is.
  cluster_->network().Block(leader, follower);
  WriteMany(60);
  EXPECT_GT(cluster_->log_storage(leader, 1)->FirstIndex(), cluster_->log_storage(follower, 1)->LastIndex() + 1);
  cluster_->network().Heal();
  RunFor(kSecond);
  EXPECT_EQ(Applied(follower), Applied(leader));
  EXPECT_GE(leading.snapshots_made(), 1u);
  // Sent, so no longer held: no write follows, and no compaction would
  // ever have passed it.
  EXPECT_FALSE(leading.holds_snapshot());
}

// The leader holds the snapshot it made while the follower is sent it, and
// lets it (and its memory) go once the follower has caught up.
TEST_F(KvClusterTest, ALeaderHoldsASnapshotOnlyWhileItIsSent) {
  const FollowerBehind b = BuildWithAFollowerBehindOnASlowLink();
  ASSERT_GE(b.leader, 0);
  const int leader = b.leader;
  const int follower = b.follower;
  const node::ShardReplica& leading = *b.leading;
  const int64_t used_before = b.leader_memory_before;
  EXPECT_FALSE(leading.holds_snapshot());
  // The follower's link is slow: the transfer takes a while, and the
  // snapshot is held all through it.
  cluster_->network().Heal();
  bool held = false;
  int64_t used_while_held = 0;
  for (int i = 0; i < 100 && Applied(follower) < Applied(leader); ++i) {
    RunFor(5 * kMillisecond);
    if (leading.holds_snapshot()) {
      held = true;
      used_while_held = std::max(used_while_held, cluster_->server_memory(leader).used_bytes());
    }
  }
  EXPECT_TRUE(held);
  EXPECT_GT(used_while_held, used_before) << "the held snapshot is charged to the budget";
  RunFor(kSecond);
  ASSERT_EQ(Applied(follower), Applied(leader));
  EXPECT_GE(leading.snapshots_made(), 1u);
  EXPECT_FALSE(leading.holds_snapshot());
  EXPECT_LE(cluster_->server_memory(leader).used_bytes(), used_before);
}

// A follower that falls silent in the middle of a transfer does not keep
// the leader's snapshot, and its memory, held: after an election timeout
// without a word the transfer is abandoned and the snapshot let go. Back,
// the follower gets a new one.
TEST_F(KvClusterTest, ALeaderLetsGoOfTheSnapshotOfAFollowerThatFallsSilent) {
  // A slow link, so that the transfer is still going when it is cut.
  const FollowerBehind b = BuildWithAFollowerBehindOnASlowLink();
  ASSERT_GE(b.leader, 0);
  cluster_->network().Heal();
  for (int i = 0; i < 100 && !b.leading->holds_snapshot(); ++i) RunFor(kMillisecond);
  ASSERT_TRUE(b.leading->holds_snapshot());
  cluster_->network().Block(b.leader, b.follower);
  cluster_->network().Block(b.follower, b.leader);
  RunFor(500 * kMillisecond);
  EXPECT_FALSE(b.leading->holds_snapshot());
  EXPECT_LE(cluster_->server_memory(b.leader).used_bytes(), b.leader_memory_before);
  EXPECT_LT(Applied(b.follower), Applied(b.leader));
  cluster_->network().Heal();
  RunFor(2 * kSecond);
  EXPECT_EQ(Applied(b.follower), Applied(b.leader));
  EXPECT_GE(b.leading->snapshots_made(), 2u);
}

// A snapshot the leader's memory budget cannot hold is not made: the
// follower waits, and the refusals are counted (the node's metrics export
// them); once the budget has room, the follower gets its snapshot.
TEST_F(KvClusterTest, ASnapshotTheMemoryBudgetCannotHoldWaitsAndIsCounted) {
  const int leader = BuildCompacting(20);
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % 3;
  cluster_->network().Block(leader, follower);
  WriteMany(60);
  const node::ShardReplica& leading = *cluster_->server(leader)->replicas().at(1);
  ASSERT_TRUE(cluster_->SetMemoryLimit(leader, 0));
  const int64_t budget_refusals = cluster_->server_memory(leader).refusal_count();
  cluster_->network().Heal();
  RunFor(kSecond);
  EXPECT_LT(Applied(follower), Applied(leader));
  EXPECT_EQ(leading.snapshots_made(), 0u);
  EXPECT_GT(leading.snapshots_refused(), 32u);
  // The shard is encoded (and the budget asked) at the first attempt, then
  // at every 16th only, while the budget still has no room for that size.
  const int64_t asked = cluster_->server_memory(leader).refusal_count() - budget_refusals;
  EXPECT_GE(asked, 1);
  EXPECT_LE(asked, static_cast<int64_t>(leading.snapshots_refused() / 16 + 1));
  ASSERT_TRUE(cluster_->SetMemoryLimit(leader, 64 << 20));
  RunFor(kSecond);
  EXPECT_EQ(Applied(follower), Applied(leader));
  EXPECT_GE(leading.snapshots_made(), 1u);
}

// A server whose start fails (here every read of its disk is corrupt, so
// its journals never read back alike) is started again by the supervisor
// after 1 s, then 2 s after that, and so on, and once the fault has passed
// it comes back and catches up on what it missed.
TEST_F(KvClusterTest, AFailedStartIsRetriedAfterABackoff) {
  KvClusterOptions o = Options(3, 1, 1);
  o.disk_faults.read_corruption_ppm = 1'000'000;
  cluster_ = std::make_unique<KvCluster>(scheduler_, env::Random(5), o);
  cluster_->SetDiskFaults(false);
  ASSERT_TRUE(cluster_->Start().ok());
  RunFor(2 * kSecond);
  auto before = Call([&](auto done) { cluster_->client(0).Put("a", "1", done); });
  ASSERT_TRUE(before.has_value() && before->ok());

  // The faults are on only while the supervisor acts (synchronously), so
  // that the servers that stay up never read through them.
  auto supervise = [&](bool corrupt) {
    cluster_->SetDiskFaults(corrupt);
    cluster_->RestartFailedServers();
    cluster_->SetDiskFaults(false);
  };
  ASSERT_TRUE(cluster_->Crash(0));
  cluster_->SetDiskFaults(true);
  ASSERT_TRUE(cluster_->Restart(0));
  cluster_->SetDiskFaults(false);
  EXPECT_FALSE(cluster_->up(0));
  EXPECT_EQ(cluster_->start_failures(), 1);
  EXPECT_NE(cluster_->last_start_failure().find("DATA_LOSS"), std::string::npos)
      << cluster_->last_start_failure();
  const env::TimeNs failed_at = scheduler_.now_ns();
  auto put = Call([&](auto done) { cluster_->client(0).Put("a", "2", done); });
  ASSERT_TRUE(put.has_value() && put->ok());  // Two of three serve.
  const int leader = LeaderOf(1);
  ASSERT_GT(leader, 0);
  const uint64_t applied_with_put = cluster_->server(leader)->replicas().at(1)->state_machine().applied_index();

  // Not before 1 s; at 1 s, a start that fails again (the fault is still on).
  while (scheduler_.now_ns() + 50 * kMillisecond < failed_at + KvCluster::kFirstStartRetryNs) {
    RunFor(50 * kMillisecond);
    supervise(true);
    ASSERT_EQ(cluster_->start_failures(), 1) << "retried early, at " << scheduler_.now_ns();
  }
  RunFor(100 * kMillisecond);
  supervise(true);
  EXPECT_EQ(cluster_->start_failures(), 2);
  EXPECT_FALSE(cluster_->up(0));
  const env::TimeNs failed_again_at = scheduler_.now_ns();

  // The fault has passed: the next start, 2 s later, succeeds.
  while (scheduler_.now_ns() + 50 * kMillisecond < failed_again_at + 2 * KvCluster::kFirstStartRetryNs) {
    RunFor(50 * kMillisecond);
    supervise(false);
    ASSERT_FALSE(cluster_->up(0)) << "started before its backoff, at " << scheduler_.now_ns();
  }
  RunFor(100 * kMillisecond);
  supervise(false);
  ASSERT_TRUE(cluster_->up(0));
  EXPECT_EQ(cluster_->start_failures(), 2);
  // It catches up on the write it missed.
  uint64_t applied = 0;
  for (int i = 0; i < 300 && applied < applied_with_put; ++i) {
    RunFor(10 * kMillisecond);
    node::KvNode* n = cluster_->server(0);
    ASSERT_NE(n, nullptr);
    applied = n->replicas().at(1)->state_machine().applied_index();
  }
  EXPECT_GE(applied, applied_with_put);
}

// Memory pressure on every server: requests are refused with "retry later"
// (no crash, no lost write); when the pressure ends, the cluster serves again.
TEST_F(KvClusterTest, MemoryExhaustionRefusesThenRecovers) {
  Build(3, 1, 1);
  for (int i = 0; i < 3; ++i) cluster_->SetMemoryLimit(i, 0);
  auto refused = Call([&](auto done) { cluster_->client(0).Put("m", "x", done); }, 10 * kSecond);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GT(cluster_->client(0).stats().retry_later, 0u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(cluster_->server(i), nullptr);  // Still up.
    EXPECT_FALSE(cluster_->server(i)->failed());
  }
  for (int i = 0; i < 3; ++i) cluster_->SetMemoryLimit(i, 64 << 20);
  auto ok = Call([&](auto done) { cluster_->client(0).Put("m", "y", done); });
  ASSERT_TRUE(ok.has_value() && ok->ok());
  auto get = Call([&](auto done) { cluster_->client(0).Get("m", done); });
  EXPECT_EQ((*get)->value(), "y");
}

// Many shards on few nodes: Raft traffic to a peer is coalesced into one
// network message per event, so the network message rate depends on the
// number of nodes, not of shards: going from 8 to 32 shards multiplies the
// Raft messages about fourfold and leaves the network messages nearly flat.
std::pair<uint64_t, uint64_t> IdleTraffic(int shards) {
  Scheduler scheduler;
  KvClusterOptions o;
  o.servers = 3;
  o.shards = shards;
  o.clients = 0;
  o.link.tail_ppm = 0;
  KvCluster cluster(scheduler, env::Random(5), o);
  EXPECT_TRUE(cluster.Start().ok());
  scheduler.RunUntil(5 * kSecond);
  uint64_t batches = 0, messages = 0;
  for (int i = 0; i < 3; ++i) {
    batches += cluster.server(i)->stats().peer_batches_sent;
    messages += cluster.server(i)->stats().raft_messages_sent;
  }
  return {batches, messages};
}

TEST(KvClusterTrafficTest, RaftTrafficIsCoalescedPerPeer) {
  const auto [batches_8, messages_8] = IdleTraffic(8);
  const auto [batches_32, messages_32] = IdleTraffic(32);
  EXPECT_GT(messages_32, 3 * messages_8);
  EXPECT_LT(batches_32, batches_8 * 13 / 10);
  std::printf("8 shards: %llu raft messages in %llu network messages; 32 shards: %llu in %llu\n",
              static_cast<unsigned long long>(messages_8), static_cast<unsigned long long>(batches_8),
              static_cast<unsigned long long>(messages_32), static_cast<unsigned long long>(batches_32));
}

}  // namespace
}  // namespace kv::sim
