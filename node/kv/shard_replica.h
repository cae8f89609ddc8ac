#pragma once
// ShardReplica: one node's replica of one shard, i.e. one Raft group member
// and its KV state machine, driven on the env seam. Layer: node.
//
// The host loop (docs/raft.md) done asynchronously:
//   take a Ready -> send `messages` now -> issue the log writes (snapshot,
//   entries, hard state) -> when the last of them is durable: send
//   `messages_after_persist`, AckPersisted -> apply `committed_entries` as one
//   state-machine write, answer the clients waiting on them, AckApplied ->
//   serve reads whose read index is now applied -> maybe compact the log.
// Only one Ready is in flight; inputs arriving meanwhile are stepped into the
// core and picked up by the next Ready (natural batching: every proposal that
// arrives while a sync is in progress shares the next sync).
//
// Batching within a turn (issue 8): client writes and reads do not take a
// Ready themselves; they schedule one Process() on the executor, so every
// request that arrives in the same event-loop turn (or simulator instant)
// shares one Ready, one log write and one sync. Reads queued in a turn share
// one ReadIndex request, hence one heartbeat round.
//
// Committed entries and read states are handled when the Ready is taken,
// not after its writes are durable: the core hands out only entries that
// are already durable locally (raft_log.cc TakeCommittedEntries), and a
// read state needs no persistence. So an apply never waits for the sync of
// the unrelated new entries that share its Ready. Likewise, entries that
// become committed (and reads that become safe) while a Ready is in flight
// are taken and applied at once (Raft::TakeCommittedEntriesEarly), and
// messages that may precede persistence (the leader's appends, heartbeats)
// leave at once (Raft::TakeMessagesEarly).
//
// A Ready whose only durable change is a higher commit index (the common
// case on followers, and on a leader after each commit) writes nothing: the
// commit index is not needed for safety, so, as etcd does not sync it, it
// rides along with the next write that must be durable anyway (new entries,
// a term or a vote). After a crash the stored commit index may therefore lag
// what was applied; the core learns the commit index again from the leader,
// and the state machine skips entries it already holds (Start).
//
// A storage error is fail-stop: the replica stops serving and reports
// failed(); the host restarts the node, which recovers from what is durable.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "node/env/env.h"
#include "node/env/liveness.h"
#include "node/kv/command_writer.h"
#include "node/kv/kv.pb.h"
#include "node/kv/kv_state_machine.h"
#include "node/kv/raft_log_view.h"
#include "raft/raft.h"
#include "storage/log_storage.h"
#include "storage/state_machine_storage.h"

namespace kv::node {

struct ShardReplicaOptions {
  uint64_t shard = 0;
  uint64_t raft_id = 0;             // This node's id in the group (node id + 1).
  std::vector<uint64_t> voters;     // Raft ids of the replica set.
  raft::Config raft;                // id, election/heartbeat ticks, limits.
  KvLimits limits;
  // Compact the log once this many applied entries sit above its start.
  uint64_t compact_threshold_entries = 1000;
  // Pending client requests per replica; more get CODE_RETRY_LATER.
  size_t max_pending_requests = 4096;
  uint32_t bugs = 0;  // KvBugs bits (kv_bugs.h); teeth only.
};

class ShardReplica final : private SnapshotSource {
 public:
  // Where the answer to a client request goes, as the node names it.
  struct ReplyTo {
    env::NodeId node = 0;
    uint64_t request_id = 0;
  };
  // The node hosting the replica: where its messages and answers go. One
  // sink for all requests, rather than a callback per request: a callback
  // holding the node, the client and the request id did not fit
  // AnyInvocable's inline storage, an allocation per request. An interface
  // rather than two std::functions: one indirect call per message instead
  // of a check, a call and the function's thunk.
  class Host {
   public:
    // Hands `message` of `shard` to the node, which serializes it at once.
    virtual void SendRaftMessage(uint64_t shard, const raft::Message& message) = 0;
    // Answers a client request; `leader_hint` is a Raft id, 0 if unknown.
    virtual void AnswerClient(const ReplyTo& to, const pb::Result& result, uint64_t leader_hint) = 0;

   protected:
    ~Host() = default;
  };

  // `env`, `log`, `state` and `host` must outlive the replica. The replica
  // calls `host` only while it exists, from its public calls and its
  // callbacks.
  ShardReplica(env::Env& env, storage::LogStorage& log, storage::StateMachineStorage& state,
               const ShardReplicaOptions& options, Host& host);
  ~ShardReplica() override;

  // Loads durable state and builds the Raft core. Errors: those of storage
  // (kDataLoss: the node must not serve this shard).
  [[nodiscard]] absl::Status Start();

  void Tick();
  void Step(const raft::Message& message);

  // A write (PUT, DELETE, CAS): answered once applied, or at once with
  // NOT_LEADER / RETRY_LATER / INVALID_ARGUMENT. `serialize` gives the
  // entry data to propose, SerializeCommand() of the command (command_codec.h),
  // and is called at most once, before Write returns: a request reader may
  // have those bytes at hand.
  void Write(const CommandFields& command, const ReplyTo& to, absl::FunctionRef<std::string()> serialize);
  // A linearizable GET through ReadIndex.
  void Read(absl::string_view key, const ReplyTo& to);

  // Shutdown drain: client requests accepted and not yet answered, and
  // answering all of them CODE_UNAVAILABLE (a write may still commit; the
  // client's retry elsewhere is deduplicated by its session).
  size_t pending_request_count() const { return pending_writes_.size() + pending_reads_.size(); }
  void FailPendingRequests() { FailPending(pb::CODE_UNAVAILABLE); }
  // Shutdown drain: if leader, starts a leadership transfer (thesis 3.10) to
  // the voter with the highest match index, so the shard does not wait an
  // election timeout after this node leaves. Returns whether one started.
  bool TransferLeadershipAway();

  bool failed() const { return failed_; }
  bool is_leader() const;
  uint64_t leader_raft_id() const;
  const raft::Raft& raft() const { return *raft_; }
  uint64_t applied_index() const { return state_machine_.applied_index(); }
  const KvStateMachine& state_machine() const { return state_machine_; }
  // Snapshots this replica made for followers (MakeSnapshot) since it
  // started, and the times it could not make one when asked.
  uint64_t snapshots_made() const { return snapshots_made_; }
  uint64_t snapshots_refused() const { return snapshots_refused_; }
  // Whether a snapshot made for followers is held (only while one is sent).
  bool holds_snapshot() const { return view_.holds_snapshot(); }
  // Why the latest refusal happened (OK before the first).
  const absl::Status& last_snapshot_refusal() const { return last_snapshot_refusal_; }
  uint64_t shard() const { return options_.shard; }
  // Whether a Ready is waiting for its writes to become durable.
  bool ready_in_flight() const { return ready_in_flight_; }

  // The capacity of the largest buffer kept for reuse between Readies (the
  // log write's payloads, the read result's value, the applied entries' data
  // and the applied commands' results), for tests of the bound
  // (kept_buffer.h).
  size_t LargestKeptBufferBytes() const;

  // For checkers: the value of a key as this replica's state machine holds it.
  [[nodiscard]] absl::StatusOr<pb::Result> ReadLocal(const std::string& key) {
    return state_machine_.Read(key);
  }

 private:
  struct PendingWrite {
    ReplyTo to;
    uint64_t sequence;
    env::Reservation memory;
  };
  struct PendingRead {
    std::string key;
    ReplyTo to;
    env::Reservation memory;
  };
  // The reads that share one ReadIndex request.
  struct ReadBatch {
    uint64_t id = 0;     // The ReadIndex request id.
    uint64_t index = 0;  // 0 until the read index is known.
    std::vector<PendingRead> reads;
  };

  void Process();
  // Process's second half: takes a Ready and starts it on its way (sends,
  // applies, issues the writes). Precondition: none in flight, HasReady().
  // Apart from Process, whose usual call (one per message stepped) takes
  // no Ready and so need not set up for this much work.
  void TakeReady();
  // Runs Process() once on the executor's next turn (idempotent until then).
  void ScheduleProcess();
  // Sends one ReadIndex request for the reads queued since the last one.
  void IssueQueuedReads();
  void HandleReadStates(const std::vector<raft::ReadState>& read_states);
  // While a Ready is in flight: sends the messages that may leave before
  // persistence, applies what became committed and serves reads that
  // became safe since it was taken.
  void ApplyEarly();
  // One durable write of the Ready in flight finished; the last one moves
  // the Ready on (OnPersisted).
  void OnReadyWriteDone(absl::Status status);
  // OnReadyWriteDone's work for a write that succeeded, or for the issuing
  // itself (TakeReady), which needs no Status built and checked.
  void ReleaseReadyWrite();
  // Every durable write of in_flight_ finished: sends what had to
  // wait for persistence and applies what was not applied when the Ready
  // was taken (in_flight_applied_), then moves on.
  void OnPersisted();
  // Releases the huge buffers (kept_buffer.h) of `entries` and `write`'s
  // payloads, kept for the next Ready to refill. Out of line: rare.
  [[gnu::noinline]] static void ReleaseHugeEntries(std::vector<raft::Entry>& entries,
                                                   storage::LogWrite& write);
  void ApplyCommitted(const std::vector<raft::Entry>& entries);
  void InstallSnapshot(const raft::Snapshot& snapshot,
                       const std::function<void(absl::Status)>& done);
  // Answers the reads whose read index is applied. Checked inline: nearly
  // every call (one per Ready and more) finds no read pending, and setting
  // up the call to ServePendingReads showed.
  void ServeReads() {
    if (!pending_reads_.empty()) ServePendingReads();
  }
  void ServePendingReads();
  // Compacts the log up to the applied index once enough entries sit
  // above its start (or a buggify site says so).
  void MaybeCompact();
  // MaybeCompact's second half: compacts the log up to `applied`, or as far
  // towards it as the state machine holds durably. No copy of the state is
  // made: a snapshot is made when a follower needs one (MakeSnapshot).
  // Out of line: nearly every call (one per persisted Ready) has nothing to
  // compact, and setting up for this much work showed in it.
  [[gnu::noinline]] void StartCompaction(uint64_t applied);
  // How far a leader may compact towards `index` and keep the entries its
  // streaming followers still need.
  uint64_t KeepForStreamingFollowers(uint64_t index) const;
  // SnapshotSource: the state machine's state now, for a leader to send.
  absl::Status MakeSnapshot(raft::Snapshot& snapshot, env::Reservation& memory) override;
  absl::Status MakeSnapshotNow(raft::Snapshot& snapshot, env::Reservation& memory);
  // The completion of a state-machine write (an apply or a snapshot
  // install) issued after noting its index in state_writes_in_flight_.
  env::OnDone StateWriteDone();
  void OnStateWriteDone(const absl::Status& status);
  void FailPending(pb::Code code);
  void Fail(const absl::Status& status);
  // A storage completion that fails the replica on an error, unless the
  // replica is gone by then.
  env::OnDone FailOnError() const;
  void NoteRole();
  // A leader with a follower in snapshot state (being sent one).
  bool SendingSnapshot() const;

  env::Env& env_;
  storage::LogStorage& log_;
  storage::StateMachineStorage& state_storage_;
  ShardReplicaOptions options_;
  Host& host_;
  RaftLogView view_;
  KvStateMachine state_machine_;
  std::unique_ptr<raft::Raft> raft_;
  bool ready_in_flight_ = false;
  // The Ready in flight, while ready_in_flight_: its writes still to finish
  // (storage completes in issue order, so counting is enough), and whether
  // its committed entries were applied when it was taken. One Ready, refilled
  // by Raft::GetReadyInto for each batch: building and destroying one per
  // batch (seven containers, a protobuf among them) showed.
  raft::Ready in_flight_;
  int in_flight_writes_ = 0;
  bool in_flight_applied_ = false;
  // The newest hard state not yet written because only its commit index
  // changed; the next log write carries it (see the header comment). Kept
  // in storage's form, a plain struct: moving the Ready's protobuf in and
  // out cost a construction, a swap and a destruction per Ready.
  std::optional<storage::HardState> unwritten_hard_state_;
  // The log write being built, refilled for every Ready: storage reads it
  // only during Write, and reusing it keeps its vector and its entries'
  // payload buffers (a new LogEntry string per entry showed), less those
  // above kMaxKeptBufferBytes (kept_buffer.h).
  storage::LogWrite log_write_;
  bool failed_ = false;
  bool was_leader_ = false;
  uint64_t last_term_ = 0;
  // Writes waiting to be applied, by client id (one outstanding per client).
  std::map<uint64_t, PendingWrite> pending_writes_;
  // Ascending by request id, as they were issued: a vector, as a turn's
  // reads share one batch and few are outstanding at once, and a std::map
  // cost a node allocation and two rebalances per batch.
  std::vector<ReadBatch> pending_reads_;
  std::vector<PendingRead> queued_reads_;        // Not yet given a ReadIndex.
  size_t pending_read_count_ = 0;                // Reads in pending_reads_.
  // ApplyCommitted's results, stale between batches; kept so that a batch
  // neither allocates the vector nor constructs its elements afresh.
  std::vector<KvStateMachine::Applied> applied_buffer_;
  // ServePendingReads' result for each read, reused with its value buffer
  // unless that exceeds kMaxKeptBufferBytes (kept_buffer.h).
  pb::Result read_result_;
  bool process_scheduled_ = false;
  uint64_t next_read_id_ = 1;
  bool compacting_ = false;
  // The applied index of each state-machine write not yet completed, in
  // issue order (completions keep it), and the highest one known durable:
  // the log is compacted only up to what the state machine holds durably,
  // since the log keeps no copy of the state.
  std::deque<uint64_t> state_writes_in_flight_;
  uint64_t durable_applied_ = 0;
  uint64_t snapshots_made_ = 0;
  uint64_t snapshots_refused_ = 0;
  absl::Status last_snapshot_refusal_;
  // The size of the last snapshot the memory budget refused (0: none since
  // the last one made), and the attempts counted since (MakeSnapshotNow).
  int64_t refused_snapshot_bytes_ = 0;
  uint64_t attempts_since_refused_snapshot_ = 0;
  // MaybeCompact's fault point, evaluated on every Ready: held, not looked up
  // by name each time. Likewise Tick's, evaluated on every tick a leader
  // takes.
  env::BuggifySite compact_early_{"kv.replica.compact_early"};
  env::BuggifySite transfer_leadership_{"kv.replica.transfer_leadership"};
  // This replica's registration in the executor's liveness table: storage
  // and executor callbacks capture its handle and do nothing once the
  // replica is gone (a crashed node's storage may still complete). The
  // handle is two words and trivially copyable, so such a callback stays
  // within AnyInvocable's inline storage with its trivial manager: no
  // allocation nor reference count per write. Last, so it ends first.
  env::Lifeline<ShardReplica> lifeline_;
};

}  // namespace kv::node
