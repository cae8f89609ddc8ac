#include "node/kv/kv_node.h"

#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "node/kv/client_message_codec.h"
#include "node/kv/peer_batch_codec.h"
#include "node/kv/pending_peers.h"
#include "node/kv/testing/manual_node_env.h"
#include "storage/sim_log_storage.h"
#include "storage/sim_state_machine_storage.h"

namespace kv::node {
namespace {

// Node 0 of a two-node cluster with `shard_count` shards, each replicated
// on both. Node 1 is never built: the test speaks for it. Storage and loop
// outlive the node, as a host's do.
class KvNodeLifetime {
 public:
  explicit KvNodeLifetime(int shard_count = 1) {
    auto cluster = Cluster::Create(Cluster::MakeLayout(/*node_count=*/2, shard_count,
                                                       /*replication_factor=*/2));
    KV_CHECK(cluster.ok());
    cluster_ = std::make_unique<Cluster>(*std::move(cluster));
    std::map<uint64_t, storage::LogStorage*> logs;
    for (uint64_t shard : cluster_->ShardsOf(0)) {
      auto log = storage::SimLogStorage::Open(world_.disk, shard);
      KV_CHECK(log.ok());
      logs[shard] = log->get();
      logs_.push_back(*std::move(log));
    }
    auto state = storage::SimStateMachineStorage::Open(world_.disk);
    KV_CHECK(state.ok());
    state_ = *std::move(state);
    node_ = std::make_unique<KvNode>(world_.env, *cluster_, KvNodeOptions{}, std::move(logs), *state_);
    KV_CHECK(node_->Start().ok());
  }

  const raft::Raft& raft() const { return node_->replicas().begin()->second->raft(); }

  // Node 0 campaigns; node 1 (Raft id 2) grants its pre-vote and its vote.
  void ElectNodeZero() {
    KV_CHECK(world_.loop.RunUntil([&] { return raft().role() == raft::Role::kPreCandidate; }));
    Grant(raft::MSG_PRE_VOTE_RESP, raft().term() + 1);
    KV_CHECK(world_.loop.RunUntil([&] { return raft().role() == raft::Role::kCandidate; }));
    Grant(raft::MSG_VOTE_RESP, raft().term());
    KV_CHECK(world_.loop.RunUntil([&] { return raft().role() == raft::Role::kLeader; }));
  }

  // A client (node 1) writes a key: its Ready is taken by a posted Process,
  // outside any handler, so its messages leave through a posted flush.
  void Write() {
    const uint64_t shard = node_->replicas().begin()->first;
    CommandFields command;
    command.client_id = 3;
    command.sequence = 1;
    command.op = pb::OP_PUT;
    command.key = "k";
    command.value = "v";
    const std::string request = EncodeClientRequest(/*request_id=*/1, command, shard);
    world_.network.Deliver(1, request);
  }

  testing::ManualNodeEnv world_;
  std::unique_ptr<Cluster> cluster_;
  std::vector<std::unique_ptr<storage::SimLogStorage>> logs_;
  std::unique_ptr<storage::SimStateMachineStorage> state_;
  std::unique_ptr<KvNode> node_;

 private:
  void Grant(raft::MessageType type, uint64_t term) {
    raft::Message grant;
    grant.set_type(type);
    grant.set_from(2);
    grant.set_to(1);
    grant.set_term(term);
    PeerBatchWriter batch;
    batch.Add(node_->replicas().begin()->first, grant);
    world_.network.Deliver(1, batch.Take());
  }
};

// Runs `count` events (the node's tick never lets the loop go idle).
void RunEvents(KvNodeLifetime& t, int count) {
  t.world_.loop.RunUntil([&count] { return count-- <= 0; });
}

TEST(KvNodeTest, LeaderAnswersNothingYetWithoutItsFollower) {
  KvNodeLifetime t;
  t.ElectNodeZero();
  t.Write();
  const int sent = t.world_.network.sent_count;
  // Fewer events than an election timeout of ticks: the leader does not
  // step down yet (check quorum) for not hearing from node 1.
  RunEvents(t, 3);
  // The append left for node 1, through a flush posted by the Process the
  // write posted; no answer without a quorum.
  EXPECT_GT(t.world_.network.sent_count, sent);
  EXPECT_EQ(t.node_->pending_request_count(), 1u);
}

// A peer batch on a native client's connection (a pseudo id past every
// peer) whose message names the client as its sender: once, this reached
// Raft, whose answer to that id failed SendRaftMessage's check and aborted
// the node. It is malformed input: counted and dropped, Raft unchanged.
TEST(KvNodeTest, RaftMessageFromAClientIsDroppedAsMalformed) {
  KvNodeLifetime t;
  t.ElectNodeZero();
  const uint64_t term = t.raft().term();
  const env::NodeId client = env::NodeId{1} << 30;
  raft::Message heartbeat;
  heartbeat.set_type(raft::MSG_HEARTBEAT);
  heartbeat.set_from(client + 1);
  heartbeat.set_to(1);
  heartbeat.set_term(term + 1000);
  PeerBatchWriter batch;
  batch.Add(t.node_->replicas().begin()->first, heartbeat);
  const uint64_t malformed = t.node_->stats().malformed_messages;
  t.world_.network.Deliver(client, batch.Take());
  RunEvents(t, 3);
  EXPECT_EQ(t.node_->stats().malformed_messages, malformed + 1);
  EXPECT_EQ(t.raft().term(), term);
  EXPECT_EQ(t.raft().role(), raft::Role::kLeader);
}

// A client's message that is not one request field, here a peer batch
// followed by a valid request (protobuf keeps the last member of the oneof,
// so it parsed the whole batch and then ran the request), is refused
// unparsed: on the client port, a large batch of empty messages made
// protobuf build millions of objects.
TEST(KvNodeTest, ClientMessageOtherThanARequestIsRefusedUnparsed) {
  KvNodeLifetime t;
  t.ElectNodeZero();
  const env::NodeId client = env::NodeId{1} << 30;
  const uint64_t shard = t.node_->replicas().begin()->first;
  CommandFields command;
  command.op = pb::OP_GET;
  command.key = "k";
  const std::string request = EncodeClientRequest(/*request_id=*/7, command, shard);
  const std::string batch = std::string("\x0a\x04") + std::string("\x0a\x00\x0a\x00", 4);
  const uint64_t malformed = t.node_->stats().malformed_messages;
  const uint64_t requests = t.node_->stats().requests;
  t.world_.network.Deliver(client, batch + request);
  RunEvents(t, 3);
  EXPECT_EQ(t.node_->stats().malformed_messages, malformed + 1);
  EXPECT_EQ(t.node_->stats().requests, requests);
  t.world_.network.Deliver(client, request);
  RunEvents(t, 3);
  EXPECT_EQ(t.node_->stats().requests, requests + 1) << "a plain request is still served";
}

// A peer's batch above kMaxPeerBatchMessages is refused before anything is
// built for its messages, in the writer's form (the batch reader) and in
// any other protobuf accepts (two peer fields, which protobuf merges, go
// the protobuf way): a 16 MiB frame of two-byte empty messages once became
// eight million message objects.
TEST(KvNodeTest, PeerBatchAboveTheLimitIsRefusedWhole) {
  KvNodeLifetime t;
  t.ElectNodeZero();
  const env::NodeId peer = 1;
  auto empty_messages = [](size_t count) {
    pb::NodeMessage message;
    for (size_t i = 0; i < count; ++i) message.mutable_peer()->add_messages();
    return message.SerializeAsString();
  };
  const std::string half = empty_messages(kMaxPeerBatchMessages / 2 + 1);
  for (const std::string& bytes : {empty_messages(kMaxPeerBatchMessages + 1), half + half}) {
    const uint64_t malformed = t.node_->stats().malformed_messages;
    t.world_.network.Deliver(peer, bytes);
    RunEvents(t, 3);
    EXPECT_EQ(t.node_->stats().malformed_messages, malformed + 1);
  }
  // Within the limit, a batch is read: its empty messages (no sender) are
  // each dropped as malformed by the shard step, not refused whole.
  const uint64_t malformed = t.node_->stats().malformed_messages;
  t.world_.network.Deliver(peer, empty_messages(8));
  RunEvents(t, 3);
  EXPECT_EQ(t.node_->stats().malformed_messages, malformed + 8);
  EXPECT_EQ(t.raft().role(), raft::Role::kLeader);
}

// Node 1's grant of every pre-vote and vote asked for now, so that every
// shard of node 0 becomes leader; in batches within the reader's limit.
void ElectNodeZeroEverywhere(KvNodeLifetime& t) {
  auto all_in_role = [&t](raft::Role role) {
    for (const auto& [shard, replica] : t.node_->replicas()) {
      if (replica->raft().role() != role) return false;
    }
    return true;
  };
  // Each shard campaigns within two election timeouts, and no sooner again.
  KV_CHECK(t.world_.loop.RunUntil([&] { return all_in_role(raft::Role::kPreCandidate); }));
  for (const auto& [asked, granted, term_ahead] :
       {std::tuple{raft::Role::kPreCandidate, raft::MSG_PRE_VOTE_RESP, uint64_t{1}},
        std::tuple{raft::Role::kCandidate, raft::MSG_VOTE_RESP, uint64_t{0}}}) {
    PeerBatchWriter batch;
    for (const auto& [shard, replica] : t.node_->replicas()) {
      KV_CHECK(replica->raft().role() == asked);
      raft::Message grant;
      grant.set_type(granted);
      grant.set_from(2);
      grant.set_to(1);
      grant.set_term(replica->raft().term() + term_ahead);
      batch.Add(shard, grant);
      if (batch.size() == kMaxPeerBatchMessages) t.world_.network.Deliver(1, batch.Take());
    }
    if (!batch.empty()) t.world_.network.Deliver(1, batch.Take());
    const raft::Role next = asked == raft::Role::kPreCandidate ? raft::Role::kCandidate : raft::Role::kLeader;
    KV_CHECK(t.world_.loop.RunUntil([&] { return all_in_role(next); }));
  }
}

// More Raft messages for one peer than a batch may hold, all produced in
// one event (every shard's leader heartbeats on the same tick), leave in
// several batches of at most kMaxPeerBatchMessages, in the order produced,
// and none is lost. The split (KvNode::SendRaftMessage) had no test: one
// batch of them all would be refused whole by the peer's reader.
TEST(KvNodeTest, RaftMessagesAboveTheBatchLimitLeaveInSeveralBatches) {
  const int shard_count = static_cast<int>(kMaxPeerBatchMessages) + 100;
  KvNodeLifetime t(shard_count);
  ElectNodeZeroEverywhere(t);
  t.world_.network.record_sent = true;
  // Every leader became leader within the same tick interval, and
  // heartbeats each tick (heartbeat_ticks 1): the next tick sends one
  // heartbeat per shard. Run one event at a time until it has run.
  PeerBatchReader reader;
  for (int events = 0; events < 100; ++events) {
    t.world_.network.sent.clear();
    const uint64_t messages_before = t.node_->stats().raft_messages_sent;
    RunEvents(t, 1);
    std::vector<size_t> batch_sizes;
    std::map<uint64_t, int> heartbeats_by_shard;
    size_t messages_read = 0;
    for (const testing::CountingNetwork::SentMessage& sent : t.world_.network.sent) {
      ASSERT_EQ(sent.to, 1u);
      ASSERT_TRUE(reader.Read(sent.bytes)) << "over limit: " << reader.over_limit();
      batch_sizes.push_back(reader.messages().size());
      messages_read += reader.messages().size();
      for (const PeerBatchReader::ShardMessage& m : reader.messages()) {
        if (m.message.type() == raft::MSG_HEARTBEAT) ++heartbeats_by_shard[m.shard];
      }
    }
    EXPECT_EQ(messages_read, t.node_->stats().raft_messages_sent - messages_before);
    if (heartbeats_by_shard.empty()) continue;  // Not the tick: a storage completion.
    // The tick: each shard's heartbeat, once, in full batches but the last.
    EXPECT_EQ(heartbeats_by_shard.size(), static_cast<size_t>(shard_count));
    for (const auto& [shard, count] : heartbeats_by_shard) EXPECT_EQ(count, 1) << "shard " << shard;
    ASSERT_GE(batch_sizes.size(), 2u);
    for (size_t i = 0; i < batch_sizes.size(); ++i) {
      if (i + 1 < batch_sizes.size()) {
        EXPECT_EQ(batch_sizes[i], kMaxPeerBatchMessages) << "batch " << i;
      } else {
        EXPECT_LE(batch_sizes[i], kMaxPeerBatchMessages) << "batch " << i;
      }
    }
    return;
  }
  FAIL() << "no tick sent the leaders' heartbeats";
}

// The node goes after each number of events in turn, with whatever it has
// pending then (its tick, storage completions, a posted Process, a posted
// flush of the messages they produced): what runs after it is gone does
// nothing, sends nothing and, under ASan, touches none of its memory.
TEST(KvNodeTest, CallbacksPendingWhenTheNodeIsGoneDoNothing) {
  for (int events = 0; events < 12; ++events) {
    KvNodeLifetime t;
    t.ElectNodeZero();
    t.Write();
    RunEvents(t, events);
    const size_t registered = t.world_.env.executor.liveness().registered_count();
    t.node_.reset();
    // The node and its replica unregistered.
    EXPECT_EQ(t.world_.env.executor.liveness().registered_count(), registered - 2);
    const int sent = t.world_.network.sent_count;
    t.world_.loop.RunUntilIdle();
    EXPECT_EQ(t.world_.network.sent_count, sent) << "cut after " << events << " events";
  }
}

// What KvNode::Flush does with PendingPeers: peers with messages, in
// `has`, are taken in ascending order, each once.
std::vector<size_t> TakeEach(PendingPeers& pending, size_t peer_count, std::set<size_t>& has) {
  std::vector<size_t> taken;
  pending.TakeEach(peer_count, [&](size_t peer) {
    if (has.erase(peer) != 0) taken.push_back(peer);
  });
  return taken;
}

TEST(PendingPeersTest, TakesTheMarkedPeersInAscendingOrderOnce) {
  PendingPeers pending;
  EXPECT_TRUE(pending.empty());
  // Out of order, one twice, and peers past the word: 63 and up share a
  // bit, and are walked.
  std::set<size_t> has = {5, 0, 62, 63, 64, 70, 2};
  for (size_t peer : {5, 0, 62, 63, 64, 70, 2, 5}) pending.Add(peer);
  EXPECT_FALSE(pending.empty());
  EXPECT_EQ(TakeEach(pending, 80, has), (std::vector<size_t>{0, 2, 5, 62, 63, 64, 70}));
  EXPECT_TRUE(pending.empty());
  EXPECT_TRUE(TakeEach(pending, 80, has).empty());
}

TEST(PendingPeersTest, PeersMarkedWhileTakingAreTakenIfAhead) {
  PendingPeers pending;
  std::set<size_t> has = {3};
  pending.Add(3);
  std::vector<size_t> taken;
  pending.TakeEach(80, [&](size_t peer) {
    taken.push_back(peer);
    if (peer == 3) {
      // One behind, or the one being taken, waits for the next pass;
      // those ahead, below the overflow bit and from it on, are taken in
      // this one.
      for (size_t marked : {1, 3, 9, 66}) pending.Add(marked);
    }
  });
  std::vector<size_t> want = {3, 9};
  for (size_t peer = PendingPeers::kOverflowBit; peer < 80; ++peer) want.push_back(peer);
  EXPECT_EQ(taken, want);
  EXPECT_FALSE(pending.empty());
  has = {1, 3};
  EXPECT_EQ(TakeEach(pending, 80, has), (std::vector<size_t>{1, 3}));
  EXPECT_TRUE(pending.empty());
}

}  // namespace
}  // namespace kv::node
