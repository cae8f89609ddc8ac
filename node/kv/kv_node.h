#pragma once
// KvNode: one node of the sharded KV store. Hosts a replica of every shard
// whose replica set names it (multi-Raft), routes client requests, and moves
// Raft traffic between nodes. Layer: node (env seam only).
//
// - One timer ticks every hosted replica each tick interval.
// - Raft messages produced while handling one event are coalesced per peer:
//   all shards' messages for a peer leave as one network message (so 8
//   shards' heartbeats to a peer cost one message per tick, not eight).
// - A client request for a shard this node leads is proposed (writes) or
//   read through ReadIndex (GET); otherwise the reply is NOT_LEADER with the
//   leader's node id + 1 when known, and the client library retries there.
// - Malformed messages are dropped and counted; the node keeps serving.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "node/env/env.h"
#include "node/env/liveness.h"
#include "node/kv/client_message_codec.h"
#include "node/kv/cluster_config.h"
#include "node/kv/kv.pb.h"
#include "node/kv/peer_batch_codec.h"
#include "node/kv/pending_peers.h"
#include "node/kv/shard_replica.h"
#include "storage/log_storage.h"
#include "storage/state_machine_storage.h"

namespace kv::node {

struct KvNodeOptions {
  uint32_t self = 0;
  KvLimits limits;
  uint64_t compact_threshold_entries = 1000;
  uint32_t raft_bugs = 0;  // Teeth: raft::RaftBugs bits, off by default.
  uint32_t kv_bugs = 0;    // Teeth: KvBugs bits (kv_bugs.h), off by default.
};

struct KvNodeStats {
  uint64_t requests = 0;
  uint64_t not_leader = 0;
  uint64_t retry_later = 0;
  uint64_t invalid = 0;
  uint64_t malformed_messages = 0;
  uint64_t peer_batches_sent = 0;
  uint64_t raft_messages_sent = 0;
};

class KvNode final : private ShardReplica::Host {
 public:
  // `env`, `cluster`, the log storages (one per hosted shard, by shard id)
  // and `state` must outlive the node.
  KvNode(env::Env& env, const Cluster& cluster, const KvNodeOptions& options,
         std::map<uint64_t, storage::LogStorage*> logs, storage::StateMachineStorage& state);
  ~KvNode();
  KvNode(const KvNode&) = delete;
  KvNode& operator=(const KvNode&) = delete;

  // Starts every replica and the tick timer, and installs the receiver.
  // Errors: a replica's storage could not be loaded.
  [[nodiscard]] absl::Status Start();

  // Hosted replicas by shard id (checkers read them).
  const std::map<uint64_t, std::unique_ptr<ShardReplica>>& replicas() const { return replicas_; }
  // Whether any replica hit a storage error (fail-stop: restart the node).
  bool failed() const;

  // Shutdown drain (kvnode on SIGTERM): from now on new client requests are
  // answered CODE_UNAVAILABLE ("shutting down"; the client library retries
  // another node) while Raft traffic and requests already accepted go on;
  // every shard this node leads transfers its leadership to another voter.
  // Returns the number of transfers started.
  size_t BeginDrain();
  // Client requests accepted and not yet answered, over all replicas.
  size_t pending_request_count() const;
  // Shards this node leads now.
  size_t led_shard_count() const;
  // Answers every such request CODE_UNAVAILABLE now (the drain deadline).
  void FailPendingRequests();
  const KvNodeStats& stats() const { return stats_; }

 private:
  void OnTick();
  // The network's receiver; inline, into the callback that calls it.
  [[gnu::always_inline]] inline void OnMessage(env::NodeId from, absl::string_view bytes);
  // Handles a peer batch or client request decoded by the readers; false
  // if both declined `bytes` (see peer_batch_codec.h). Inline, into
  // OnMessage: every message the node receives takes this path.
  [[gnu::always_inline]] inline bool ReadAndHandle(env::NodeId from, absl::string_view bytes);
  // Parses `bytes` with protobuf and handles them: whatever the readers
  // declined.
  void ParseAndHandle(env::NodeId from, absl::string_view bytes);
  // The hosted replica of `shard`, or null.
  ShardReplica* FindReplica(uint64_t shard) const;
  void StepShardMessage(env::NodeId from, uint64_t shard, const raft::Message& message);
  // `serialize_command` gives the command's SerializeCommand() (command_codec.h),
  // called only for a write: the reader may have those bytes at hand.
  void OnRequest(env::NodeId from, uint64_t request_id, uint64_t request_shard, const CommandFields& command,
                 absl::FunctionRef<std::string()> serialize_command);
  void Respond(env::NodeId to, uint64_t request_id, const pb::Result& result, uint64_t leader_hint,
               absl::string_view error = {});
  // ShardReplica::Host: a replica's message joins its peer's batch; its
  // answer goes to the client at once.
  void SendRaftMessage(uint64_t shard, const raft::Message& message) override;
  void AnswerClient(const ShardReplica::ReplyTo& to, const pb::Result& result, uint64_t leader_hint) override {
    Respond(to.node, to.request_id, result, leader_hint);
  }
  void Flush();
  // Sends the messages batched for `peer` (node index). Precondition: some.
  void SendBatch(size_t peer);

  env::Env& env_;
  const Cluster& cluster_;
  KvNodeOptions options_;
  std::map<uint64_t, storage::LogStorage*> logs_;
  storage::StateMachineStorage& state_;
  std::map<uint64_t, std::unique_ptr<ShardReplica>> replicas_;
  // replicas_ again, indexed by shard id for ids below kIndexedShards (null
  // where none is hosted), so that a message finds its replica without a
  // tree search; higher ids are looked up in replicas_. Covers every shard
  // id below its size.
  static constexpr uint64_t kIndexedShards = 1024;
  std::vector<ShardReplica*> replica_by_shard_;
  // By peer node id (one per node): the Raft messages for that peer,
  // serialized as they are produced; Flush sends and empties them at the
  // end of each event.
  std::vector<PeerBatchWriter> outgoing_;
  // outgoing_.size(), kept: a vector's size is a division away, and
  // SendRaftMessage checks every message's peer against it.
  size_t peer_count_;
  // The peers whose batch in outgoing_ holds messages (pending_peers.h).
  // Invariant: every batch that holds messages is marked.
  PendingPeers pending_peers_;
  // Decode incoming messages into reused objects; not reentrant.
  PeerBatchReader peer_reader_;
  ClientRequestReader request_reader_;
  bool readers_in_use_ = false;
  // The first block of the arena ParseAndHandle parses into.
  static constexpr size_t kParseBlockBytes = 64 << 10;
  std::unique_ptr<char[]> parse_block_;
  bool parse_block_in_use_ = false;
  // Marks a handler that flushes before it returns, so that SendRaftMessage
  // needs no posted flush meanwhile.
  struct HandlerScope {
    explicit HandlerScope(KvNode& node) : node_(node) { ++node_.handler_depth_; }
    ~HandlerScope() { --node_.handler_depth_; }
    KvNode& node_;
  };
  int handler_depth_ = 0;   // Handlers running that will Flush() on return.
  bool flush_posted_ = false;  // A posted Flush() has not run yet.
  env::TimerId tick_timer_;
  KvNodeStats stats_;
  bool draining_ = false;
  // This node's registration in the executor's liveness table: a posted
  // flush captures its handle (two words, trivially copyable) and does
  // nothing once the node is gone. Last, so it ends first.
  env::Lifeline<KvNode> lifeline_;
};

}  // namespace kv::node
