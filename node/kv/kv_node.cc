#include "node/kv/kv_node.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/kv/command_codec.h"
#include "node/kv/kv_bugs.h"

namespace kv::node {
namespace {

pb::Result Code(pb::Code code) {
  pb::Result r;
  r.set_code(code);
  return r;
}

}  // namespace

KvNode::KvNode(env::Env& env, const Cluster& cluster, const KvNodeOptions& options,
               std::map<uint64_t, storage::LogStorage*> logs, storage::StateMachineStorage& state)
    : env_(env),
      cluster_(cluster),
      options_(options),
      logs_(std::move(logs)),
      state_(state),
      outgoing_(static_cast<size_t>(cluster.node_count())),
      peer_count_(outgoing_.size()),
      parse_block_(new char[kParseBlockBytes]),
      lifeline_(env.executor.liveness(), this) {}

KvNode::~KvNode() {
  env_.clock.Cancel(tick_timer_);
  env_.network.SetReceiver(nullptr);
}

inline bool KvNode::ReadAndHandle(env::NodeId from, absl::string_view bytes) {
  readers_in_use_ = true;
  struct Release {
    KvNode& node;
    ~Release() { node.readers_in_use_ = false; }
  } release{*this};
  // Raft traffic comes only from the cluster's nodes; a client connection
  // (a pseudo id past every peer) gets no further than a request, so its
  // batch is neither decoded here nor stepped (StepShardMessage).
  if (from < peer_count_ && peer_reader_.Read(bytes)) {
    for (const PeerBatchReader::ShardMessage& m : peer_reader_.messages()) {
      StepShardMessage(from, m.shard, m.message);
    }
    return true;
  }
  if (from < peer_count_ && peer_reader_.over_limit()) [[unlikely]] {
    ++stats_.malformed_messages;  // Refused whole: see kMaxPeerBatchMessages.
    return true;
  }
  if (request_reader_.Read(bytes)) {
    OnRequest(from, request_reader_.request_id(), request_reader_.shard(), request_reader_.command(),
              [this] { return request_reader_.SerializedCommand(); });
    return true;
  }
  return false;
}

inline void KvNode::OnMessage(env::NodeId from, absl::string_view bytes) {
  HandlerScope scope(*this);
  // A client (a sender past every peer) sends requests only. Anything else
  // is refused before protobuf parses it: a 4 MiB peer batch of empty
  // messages on the client port made protobuf build two million message
  // objects, a hundred times the frame, none of it charged to the budget.
  if (from >= peer_count_ && !IsClientRequestEnvelope(bytes)) {
    ++stats_.malformed_messages;
    return;
  }
  // Peer batches and client requests, nearly all the traffic, skip
  // protobuf's wrapper objects. A nested call (none is expected) finds the
  // readers busy.
  if (readers_in_use_ || !ReadAndHandle(from, bytes)) ParseAndHandle(from, bytes);
  Flush();
}

absl::Status KvNode::Start() {
  HandlerScope scope(*this);
  for (uint64_t shard : cluster_.ShardsOf(options_.self)) {
    auto log = logs_.find(shard);
    KV_CHECK(log != logs_.end());
    ShardReplicaOptions o;
    o.shard = shard;
    o.raft_id = options_.self + 1;
    for (uint32_t r : cluster_.Replicas(shard)) o.voters.push_back(r + 1);
    o.raft.election_timeout_ticks = cluster_.election_ticks();
    o.raft.heartbeat_timeout_ticks = cluster_.heartbeat_ticks();
    o.raft.max_uncommitted_entries_size_bytes = 16 << 20;
    // Clients hear from the leader once it applies; followers can learn a
    // new commit index from the next append or heartbeat, and under load
    // that halves the messages per write (raft/config.h).
    o.raft.broadcast_commit = false;
    o.raft.bugs = options_.raft_bugs;
    o.limits = options_.limits;
    o.limits.bug_apply_retry_twice = (options_.kv_bugs & kApplyRetryTwice) != 0;
    o.bugs = options_.kv_bugs;
    o.compact_threshold_entries = options_.compact_threshold_entries;
    // The replica is the node's, so the node outlives it as its host.
    ShardReplica::Host& host = *this;
    auto replica = std::make_unique<ShardReplica>(env_, *log->second, state_, o, host);
    if (absl::Status s = replica->Start(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("shard ", shard, ": ", s.message()));
    }
    if (shard < kIndexedShards) {
      if (replica_by_shard_.size() <= shard) replica_by_shard_.resize(shard + 1, nullptr);
      replica_by_shard_[shard] = replica.get();
    }
    replicas_.emplace(shard, std::move(replica));
  }
  env_.network.SetReceiver(
      [this](env::NodeId from, absl::string_view bytes) { OnMessage(from, bytes); });
  tick_timer_ = env_.clock.After(cluster_.tick_interval_ns(), [this] { OnTick(); });
  Flush();
  return absl::OkStatus();
}

bool KvNode::failed() const {
  for (const auto& [shard, replica] : replicas_) {
    if (replica->failed()) return true;
  }
  return false;
}

size_t KvNode::BeginDrain() {
  draining_ = true;
  size_t transfers = 0;
  for (auto& [shard, replica] : replicas_) transfers += replica->TransferLeadershipAway() ? 1 : 0;
  Flush();
  return transfers;
}

size_t KvNode::led_shard_count() const {
  size_t count = 0;
  for (const auto& [shard, replica] : replicas_) count += replica->is_leader() ? 1 : 0;
  return count;
}

size_t KvNode::pending_request_count() const {
  size_t count = 0;
  for (const auto& [shard, replica] : replicas_) count += replica->pending_request_count();
  return count;
}

void KvNode::FailPendingRequests() {
  for (auto& [shard, replica] : replicas_) replica->FailPendingRequests();
  Flush();
}

void KvNode::OnTick() {
  HandlerScope scope(*this);
  for (auto& [shard, replica] : replicas_) replica->Tick();
  Flush();
  tick_timer_ = env_.clock.After(cluster_.tick_interval_ns(), [this] { OnTick(); });
}

void KvNode::SendRaftMessage(uint64_t shard, const raft::Message& message) {
  // Node ids from 1; a `to` of 0 wraps around, past every peer.
  const size_t peer = message.to() - 1;
  KV_CHECK_LT(peer, peer_count_);
  // Serialized now, so the batch holds bytes rather than message objects
  // it would have to allocate and free.
  // A full batch goes now, so that no batch exceeds what a reader takes.
  if (outgoing_[peer].size() == kMaxPeerBatchMessages) [[unlikely]] SendBatch(peer);
  outgoing_[peer].Add(shard, message);
  pending_peers_.Add(peer);
  // Messages produced outside an event handler (storage completions) are
  // flushed on the next executor turn, still coalesced. Inside a handler
  // (OnMessage, OnTick), the handler flushes when it returns, and a posted
  // flush would only find nothing to send: in the simulator that was one
  // empty event in seven.
  if (handler_depth_ == 0 && !flush_posted_) {
    flush_posted_ = true;
    env_.executor.Post([live = lifeline_.live()] {
      KvNode* self = live.get();
      if (self == nullptr) return;
      self->flush_posted_ = false;
      self->Flush();
    });
  }
}

void KvNode::Flush() {
  // Most handlers (a client request, a message that needs no answer) leave
  // nothing to send.
  if (pending_peers_.empty()) return;
  // In ascending peer order.
  PeerBatchWriter* const batches = outgoing_.data();
  pending_peers_.TakeEach(peer_count_, [this, batches](size_t peer) {
    if (batches[peer].empty()) return;
    SendBatch(peer);
  });
}

inline void KvNode::SendBatch(size_t peer) {
  PeerBatchWriter& batch = outgoing_[peer];
  stats_.raft_messages_sent += batch.size();
  ++stats_.peer_batches_sent;
  // A refused send (oversized batch) is dropped; Raft retransmits.
  env_.network.Send(static_cast<env::NodeId>(peer), batch.Take()).IgnoreError();
}

ShardReplica* KvNode::FindReplica(uint64_t shard) const {
  if (shard < replica_by_shard_.size()) return replica_by_shard_[shard];
  auto it = replicas_.find(shard);
  return it == replicas_.end() ? nullptr : it->second.get();
}

void KvNode::StepShardMessage(env::NodeId from, uint64_t shard, const raft::Message& message) {
  ShardReplica* replica = FindReplica(shard);
  // A sender that is not a peer (a native client's connection) would make
  // Raft answer an id past every peer, which SendRaftMessage checks as a
  // bug: drop it as malformed input instead.
  if (replica == nullptr || from >= peer_count_ || message.from() != from + 1) {
    ++stats_.malformed_messages;
    return;
  }
  replica->Step(message);
}

void KvNode::ParseAndHandle(env::NodeId from, absl::string_view bytes) {
  // Counted before protobuf builds an object per message (a client's bytes
  // were limited to a request in OnMessage).
  if (from < peer_count_ && !PeerBatchWithinLimit(bytes)) {
    ++stats_.malformed_messages;
    return;
  }
  // Parsed on an arena whose first block is reused across messages: a peer
  // batch is many small objects, and freeing them one by one cost more than
  // parsing them. A nested call (none is expected) gets a fresh arena.
  google::protobuf::ArenaOptions arena_options;
  const bool use_block = !parse_block_in_use_;
  if (use_block) {
    parse_block_in_use_ = true;
    arena_options.initial_block = parse_block_.get();
    arena_options.initial_block_size = kParseBlockBytes;
  }
  struct Release {
    KvNode& node;
    bool used;
    ~Release() { if (used) node.parse_block_in_use_ = false; }
  } release{*this, use_block};
  google::protobuf::Arena arena(arena_options);
  pb::NodeMessage& message = *google::protobuf::Arena::CreateMessage<pb::NodeMessage>(&arena);
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    ++stats_.malformed_messages;
    return;
  }
  switch (message.body_case()) {
    case pb::NodeMessage::kPeer:
      for (const pb::ShardRaftMessage& m : message.peer().messages()) {
        StepShardMessage(from, m.shard(), m.message());
      }
      break;
    case pb::NodeMessage::kRequest: {
      const pb::Command& command = message.request().command();
      OnRequest(from, message.request().request_id(), message.request().shard(), FieldsOf(command),
                [&command] { return SerializeCommand(command); });
      break;
    }
    default:
      ++stats_.malformed_messages;
      break;
  }
}

void KvNode::Respond(env::NodeId to, uint64_t request_id, const pb::Result& result, uint64_t leader_hint,
                     absl::string_view error) {
  switch (result.code()) {
    case pb::CODE_NOT_LEADER: ++stats_.not_leader; break;
    case pb::CODE_RETRY_LATER: ++stats_.retry_later; break;
    case pb::CODE_INVALID_ARGUMENT: ++stats_.invalid; break;
    default: break;
  }
  env_.network.Send(to, EncodeClientResponse(request_id, result, leader_hint, error))
      .IgnoreError();  // Clients retry.
}

void KvNode::OnRequest(env::NodeId from, uint64_t id, uint64_t request_shard, const CommandFields& command,
                       absl::FunctionRef<std::string()> serialize_command) {
  ++stats_.requests;
  if (draining_) {
    return Respond(from, id, Code(pb::CODE_UNAVAILABLE), 0,
                   absl::StrCat("node ", options_.self, " is shutting down; retry another node"));
  }
  if (absl::Status s = ValidateCommand(command, options_.limits); !s.ok()) {
    return Respond(from, id, Code(pb::CODE_INVALID_ARGUMENT), 0, s.message());
  }
  const uint64_t shard = cluster_.ShardOf(command.key);
  if (request_shard != shard) {
    return Respond(from, id, Code(pb::CODE_INVALID_ARGUMENT), 0,
                   absl::StrCat("key belongs to shard ", shard, ", not ", request_shard));
  }
  ShardReplica* replica = FindReplica(shard);
  if (replica == nullptr) {
    return Respond(from, id, Code(pb::CODE_NOT_LEADER), 0,
                   absl::StrCat("node ", options_.self, " hosts no replica of shard ", shard));
  }
  const ShardReplica::ReplyTo to{from, id};
  if (command.op == pb::OP_GET) {
    replica->Read(command.key, to);
  } else {
    replica->Write(command, to, serialize_command);
  }
}

}  // namespace kv::node
