#pragma once
// The Raft consensus core (layer: raft/): a pure, deterministic state machine
// in the style of etcd's raft. No I/O, no clock, no threads. Inputs are calls:
// Step (a message from a peer), Tick (one unit of logical time), Propose,
// ProposeConfChange, ReadIndex, TransferLeadership and Campaign. Output is a
// Ready batch, drained by the host as follows (docs/raft.md has the details):
//
//   1. if (raft.HasReady()) ready = raft.GetReady();
//   2. send ready.messages (may overlap with step 3);
//   3. persist ready.snapshot (and install it in the state machine), then
//      ready.entries, then ready.hard_state; fsync if ready.must_sync;
//   4. send ready.messages_after_persist;
//   5. apply ready.committed_entries in order (calling ApplyConfChange for
//      ENTRY_CONF_CHANGE entries); serve ready.read_states once applied;
//   6. raft.Advance(ready) -- or AckPersisted() after step 4 and
//      AckApplied(index) after step 5, if applying is asynchronous.
//
// Only one Ready may be outstanding (taken but not acknowledged as persisted)
// at a time. Step, Tick and the requests may be called while it is.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/config.h"
#include "raft/kept_buffer.h"
#include "raft/log_storage.h"
#include "raft/message_clear.h"
#include "raft/progress.h"
#include "raft/raft.pb.h"
#include "raft/raft_log.h"
#include "raft/random.h"
#include "raft/ready.h"

namespace kv::raft {

// The largest term a message may carry or the stored hard state may hold.
// A campaign adds one to the term, so a peer's message at 2^64 - 1 (adopted,
// as any higher term is) wrapped the next campaign to term 0: every member
// failed a check, and, the term being durable, again at each restart. No
// cluster gets near 2^62 elections.
inline constexpr uint64_t kMaxTerm = uint64_t{1} << 62;

class Raft {
 public:
  // Builds a member from its durable state. `storage` must outlive the Raft
  // object; the core only reads it. random_seed drives the randomized
  // election timeout. Errors: kInvalidArgument for an invalid config;
  // kDataLoss if the stored hard state is inconsistent with the log or its
  // term is above kMaxTerm.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Raft>> Create(
      const Config& config, const LogStorage* storage, uint64_t random_seed);

  // Processes a message from a peer. A refusal is protocol (a reply), not an
  // error. Errors: kInvalidArgument for a message not addressed to this
  // member, from id 0 or itself, of unknown type, or with a term above
  // kMaxTerm; state is unchanged.
  [[nodiscard]] absl::Status Step(const Message& message);

  // Advances logical time by one tick.
  void Tick();

  // Appends the given commands as one batch of entries. Errors:
  // kFailedPrecondition if not leader (message names the known leader) or a
  // leadership transfer is in progress; kResourceExhausted if the
  // uncommitted-size budget is full. Nothing is appended on error.
  [[nodiscard]] absl::Status Propose(std::vector<std::string> commands);
  [[nodiscard]] absl::Status Propose(std::string command);

  // Proposes a single-server membership change. Errors: kFailedPrecondition
  // if not leader, a transfer is in progress, a previous change is not yet
  // applied, the leader has not committed an entry of its own term (the fix
  // for the single-server change bug, raft-dev 2015), or a learner to be
  // promoted has not caught up; kInvalidArgument for a change that does not
  // fit the membership (adding a present member, removing an absent one,
  // removing the last voter, adding a voter that was never a learner).
  [[nodiscard]] absl::Status ProposeConfChange(const ConfChange& change);

  // Applies a committed conf change (the host calls it while applying the
  // ENTRY_CONF_CHANGE entry) and returns the new membership. Idempotent.
  ConfState ApplyConfChange(const ConfChange& change);

  // Requests a linearizable read (thesis 6.4). The answer arrives as a
  // ReadState with the same request_id in a later Ready. The host should use
  // a fresh request_id per attempt. Errors: kFailedPrecondition if not
  // leader; kResourceExhausted if max_pending_read_requests are waiting.
  [[nodiscard]] absl::Status ReadIndex(uint64_t request_id);

  // Starts a leadership transfer to `target` (thesis 3.10); proposals are
  // refused until it finishes or an election timeout passes. Errors:
  // kFailedPrecondition if not leader; kInvalidArgument if target is not a
  // voter.
  [[nodiscard]] absl::Status TransferLeadership(uint64_t target);

  // Starts an election now (pre-vote first if configured). Errors:
  // kFailedPrecondition if leader, not a voter, or unapplied conf changes
  // are committed.
  [[nodiscard]] absl::Status Campaign();

  // Whether GetReady would return anything. Inline (below): the host asks
  // after every step, tick and proposal, and most answers come from the
  // first comparisons.
  bool HasReady() const;
  // Takes the next output batch. Precondition: no Ready is outstanding.
  Ready GetReady();
  // GetReady into `ready`, replacing all it held: a host that keeps one Ready
  // and refills it neither builds nor destroys one per batch, and its
  // buffers (read states, a hard state) are reused.
  void GetReadyInto(Ready& ready);
  // AckPersisted() and, if the Ready had committed entries,
  // AckApplied(index of the last one). The host may have moved data out of
  // the Ready; only the Ready's identity matters.
  void Advance(const Ready& ready);
  // The host persisted everything in the outstanding Ready (and installed its
  // snapshot). Precondition: a Ready is outstanding.
  void AckPersisted();
  // While a Ready is outstanding: committed entries that became applicable
  // since it was taken (they are durable here already), so the host can
  // apply them at once instead of after the outstanding Ready's sync; then
  // AckApplied as usual. Empty when no Ready is outstanding (GetReady hands
  // them out then) or when the outstanding Ready carries a snapshot.
  // Checked inline: a host asks after every input while a Ready is
  // outstanding, and most times there is nothing.
  std::vector<Entry> TakeCommittedEntriesEarly() {
    if (!ready_outstanding_ || outstanding_snapshot_index_ != 0 ||
        !log_.HasCommittedEntriesToApply()) {
      return {};
    }
    return TakeCommittedEntriesNow();
  }
  // ReadIndex requests that became safe since the last Ready, handed out
  // now rather than in the next Ready (they need no persistence).
  // Checked inline, like TakeCommittedEntriesEarly.
  std::vector<ReadState> TakeReadStates() {
    if (read_states_.empty()) return {};
    return TakeReadStatesNow();
  }
  // While a Ready is outstanding: the messages GetReady would put in
  // Ready::messages now (those that may leave before persistence, e.g. the
  // leader's appends for new proposals, thesis 10.2.1, and heartbeats of a
  // ReadIndex round), so they need not wait for the outstanding Ready's
  // sync. Messages that must follow persistence stay for the next Ready.
  // Empty when no Ready is outstanding.
  // Checked inline, like TakeCommittedEntriesEarly: only immediate
  // messages ever leave early (LeavesEarly).
  std::vector<Message> TakeMessagesEarly() {
    if (!ready_outstanding_ || outgoing_immediate_count_ == 0) return {};
    return TakeMessagesEarlyNow();
  }
  // Optional: gives back a message vector from a Ready or TakeMessagesEarly
  // once its messages are sent, so the next messages reuse its buffer and
  // its message objects (cleared, with their entries' storage) instead of
  // allocating them (a Ready takes the core's buffer with its messages).
  // Taken only while no message is queued and only if it holds more
  // messages than the core's spare ones; otherwise it is left to the caller.
  // Either way the caller must not read its contents again.
  void RecycleMessages(std::vector<Message>&& spent) {
    // Checked inline: most vectors given back are empty (a Ready's
    // messages_after_persist usually is), and an empty one has no spares.
    if (!spent.empty()) TakeSpareMessages(std::move(spent));
  }
  // The state machine applied every committed entry up to index. Inline:
  // once per batch applied.
  void AckApplied(uint64_t index) { log_.AppliedTo(index); }
  // The data capacity (entries' and snapshot data) the spare messages hold
  // where they can be seen, for tests of the bound (kept_buffer.h).
  size_t SpareMessageBytes() const;
  // The data capacity of the largest entry parked with the core between
  // Readies (a Ready without entries hands its entry objects back to be
  // parked), for tests of the bound (kept_buffer.h).
  size_t LargestParkedEntryBytes() const;

  // Cheap local invariants; aborts on violation. The simulator calls it
  // after every event.
  void CheckInvariants() const;

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t leader_id() const { return lead_; }
  Role role() const { return role_; }
  uint64_t lead_transferee() const { return lead_transferee_; }
  const RaftLog& log() const { return log_; }
  const ProgressTracker& tracker() const { return tracker_; }
  const Config& config() const { return config_; }
  int randomized_election_timeout_ticks() const {
    return randomized_election_timeout_ticks_;
  }
  // Whether a lease read would be answered from the lease right now.
  bool LeaseValid() const;
  uint64_t uncommitted_size_bytes() const { return uncommitted_size_bytes_; }

 private:
  enum class CampaignType { kPreElection, kElection };
  struct PendingRead {
    uint64_t request_id;
    uint64_t index;
    uint64_t heartbeat_seq;
  };
  struct HeartbeatSent {
    uint64_t seq;
    uint64_t tick;
  };
  struct ReceivingSnapshot {
    SnapshotMetadata metadata;
    std::string data;
  };

  Raft(const Config& config, const LogStorage* storage, uint64_t random_seed);

  // raft.cc: dispatch, roles, timers, sending.
  bool HandleHigherTerm(const Message& m);
  void HandleLowerTerm(const Message& m);
  void StepLeader(const Message& m);
  void StepCandidate(const Message& m);
  void StepFollower(const Message& m);
  void Reset(uint64_t term);
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void TickElection();
  void TickHeartbeat();
  // Ends every snapshot transfer to a member not heard from for an election
  // timeout (raft.cc).
  void AbandonSnapshotsToSilentMembers();
  void ResetRandomizedElectionTimeout();
  bool Promotable() const;
  bool InVoteLease() const;
  // Appends a message of `type` (not an election message, whose term the
  // caller chooses) to `to` to the outgoing queue, with from and term set,
  // and returns it for the caller to fill in before anything else is sent
  // or the role or term changes. Built in place: a message moved into the
  // queue cost a construction, a swap and a destruction.
  // Inline (below): its callers are spread over the core's files, and one
  // call per message showed.
  Message& NewMessage(MessageType type, uint64_t to);
  // Elections set the term explicitly: a pre-vote carries the next term.
  static bool IsElectionMessage(MessageType type) {
    return type == MSG_VOTE || type == MSG_PRE_VOTE || type == MSG_VOTE_RESP ||
           type == MSG_PRE_VOTE_RESP;
  }
  // Takes `m` over: for election messages, and where a message is built
  // before it is known whether it goes.
  void Send(Message&& m);
  // Appends an empty message to the outgoing queue, for a message of
  // `type`, which the caller sets.
  Message& Enqueue(MessageType type);
  // Enqueue's case with no spare message: a new one. Out of line: rare.
  [[gnu::noinline]] Message& EnqueueNew();
  // The messages only a leader sends.
  static bool IsLeaderMessage(MessageType type) {
    return type == MSG_APP || type == MSG_HEARTBEAT || type == MSG_SNAP ||
           type == MSG_TIMEOUT_NOW;
  }
  // Whether a message of `type` may leave before the writes of the Ready
  // it goes out in are durable (given that the term and vote it carries
  // are; see LeavesEarly). Replication from a leader may overlap with the
  // leader's own write (thesis 10.2.1). A heartbeat response claims nothing
  // about the log, only the term (which must be durable; see GetReady), so
  // it need not wait for a follower's entries to be synced: a ReadIndex
  // round is not held up by an unrelated append (issue 8). Every other
  // message depends on durable state. A leader's messages are queued only
  // while leader (Enqueue checks it), so the type alone says so: a flag
  // recorded per message queued cost a push per message and a clear per
  // Ready.
  bool IsImmediate(MessageType type) const {
    return IsLeaderMessage(type) || type == MSG_HEARTBEAT_RESP ||
           (type == MSG_APP_RESP && config_.HasBug(kAckBeforePersist));
  }
  // Withdraws the last message NewMessage queued (it turned out not to go).
  void DropLastMessage();
  // Destroys the spare messages past the queued ones, so that outgoing_ can
  // be handed over whole. Checked inline: usually there are none, and the
  // call, made for most Readies, showed.
  void DropSpareMessages() {
    if (outgoing_count_ != outgoing_.size()) EraseSpareMessages();
  }
  // DropSpareMessages's work, when there are spares.
  void EraseSpareMessages();
  // RecycleMessages's work, for a non-empty `spent`.
  void TakeSpareMessages(std::vector<Message>&& spent);

  // raft_ready.cc
  // The work of TakeCommittedEntriesEarly, TakeReadStates and
  // TakeMessagesEarly, once their inline checks found something to take.
  std::vector<Entry> TakeCommittedEntriesNow();
  std::vector<ReadState> TakeReadStatesNow();
  std::vector<Message> TakeMessagesEarlyNow();
  // Whether outgoing_[i] may leave now, before the writes of a Ready (see
  // GetReady for the rule).
  bool LeavesEarly(size_t i, bool term_and_vote_durable) const;
  size_t CountLeavingEarly(bool term_and_vote_durable) const;

  // raft_election.cc
  void Hup(bool transfer);
  void StartCampaign(CampaignType type, bool transfer);
  void HandleVoteRequest(const Message& m);
  void Poll(const Message& m);
  bool HasUnappliedConfChanges() const;

  // raft_replication.cc (leader)
  // Propose's errors: not leader, or a transfer in progress.
  [[nodiscard]] absl::Status CheckProposable() const;
  // Propose's second half, once the commands are entries.
  [[nodiscard]] absl::Status ProposeEntries(std::vector<Entry> entries);
  void SendAppend(uint64_t to);
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  // The same, for a caller that holds `to`'s progress (a member's).
  // Checked inline first: the pipelining loop's last call, and most
  // commit broadcasts, find nothing to send (the follower paused, or
  // nothing new and no empty append wanted).
  bool MaybeSendAppend(uint64_t to, Progress& progress, bool send_if_empty) {
    if (progress.IsPaused()) return false;
    if (!send_if_empty && progress.next == log_.LastIndex() + 1) return false;
    return SendAppendIfDue(to, progress, send_if_empty);
  }
  // MaybeSendAppend's work, past its inline checks.
  bool SendAppendIfDue(uint64_t to, Progress& progress, bool send_if_empty);
  // Whether a heartbeat response from a member behind the leader's log
  // should bring it an append now; notes it if so.
  bool AppendDueOnHeartbeat(Progress& progress);
  void BroadcastAppend();
  // After the commit index advanced: sends what followers are owed, with
  // empty appends only under Config::broadcast_commit.
  void BroadcastCommit();
  void BroadcastHeartbeat();
  // `progress` is `to`'s, which the callers' walk over the members holds.
  void SendHeartbeat(uint64_t to, Progress& progress, uint64_t seq);
  // ReadIndexFanout::kQuorum: sends heartbeat round `seq` to just enough
  // voters to make a quorum with this leader. False, sending nothing, if
  // that would be every other member anyway.
  bool SendReadRoundToQuorum(uint64_t seq);
  void HandleAppendResponse(const Message& m);
  void HandleHeartbeatResponse(const Message& m);
  // Inline (below): once per acknowledgement the leader counts, from two
  // files of the core.
  bool MaybeCommit();
  void OnCommitAdvanced();
  [[nodiscard]] absl::Status AppendEntries(std::vector<Entry> entries);
  // AppendEntries' admission check: kResourceExhausted if `size_bytes` more
  // would overflow the uncommitted-size budget.
  [[nodiscard]] absl::Status CheckUncommittedBudget(uint64_t size_bytes) const;
  void SendTimeoutNow(uint64_t to);
  bool CommittedEntryInCurrentTerm() const;

  // raft_follower.cc
  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);

  // raft_snapshot.cc
  bool MaybeSendSnapshot(uint64_t to, Progress& progress);
  void SendSnapshotChunk(uint64_t to, Progress& progress);
  // The host could not give the snapshot being sent: drop the transfer.
  void AbandonSnapshot(Progress& progress);
  void HandleSnapshotResponse(const Message& m);
  void HandleSnapshot(const Message& m);
  bool Restore(Snapshot snapshot);

  // raft_read.cc
  void ProcessReadIndex(uint64_t request_id);
  // Hands out the pending reads a quorum's heartbeat acknowledgements made
  // safe. Checked inline: most calls (one per heartbeat response) find none
  // pending.
  void ReleaseReads() {
    if (role_ == Role::kLeader && !pending_reads_.empty()) ReleaseSafeReads();
  }
  void ReleaseSafeReads();
  void RecordHeartbeatSent(uint64_t seq);
  uint64_t LeaseExpiryTick() const;

  // raft_membership.cc
  void AbortLeaderTransfer() { lead_transferee_ = 0; }

  Config config_;
  Random random_;
  RaftLog log_;
  ProgressTracker tracker_;

  uint64_t id_;
  // Invariant: never decreases.
  uint64_t term_ = 0;
  // Invariant: at most one vote per term; reset only when term_ grows.
  uint64_t vote_ = 0;
  uint64_t lead_ = 0;
  Role role_ = Role::kFollower;

  // Ticks since this member last heard from a leader (follower), or since
  // the last check-quorum round (leader).
  int election_elapsed_ticks_ = 0;
  int heartbeat_elapsed_ticks_ = 0;
  // A ReadIndex heartbeat round went to every member since the last tick.
  bool read_heartbeats_since_tick_ = false;
  // In [election_timeout_ticks, 2 * election_timeout_ticks).
  int randomized_election_timeout_ticks_ = 0;
  // Total ticks since construction; a monotonic logical clock for leases.
  uint64_t logical_tick_ = 0;
  // With lease reads, a freshly started member withholds votes for one
  // election timeout, because it may have promised a leader not to vote
  // before it crashed (LogCabin's withholdVotesUntil).
  bool boot_vote_lease_ = false;

  // Leader state.
  uint64_t lead_transferee_ = 0;
  // A MSG_TIMEOUT_NOW left in this term: no lease reads until the term ends.
  bool timeout_now_sent_ = false;
  // Index of the latest conf change entry; a new one waits until applied.
  uint64_t pending_conf_index_ = 0;
  uint64_t uncommitted_size_bytes_ = 0;
  // Monotonic across terms; every heartbeat round carries a fresh value.
  uint64_t heartbeat_seq_ = 0;
  // Reads waiting for the first commit of this leader's term.
  std::vector<uint64_t> reads_waiting_for_commit_;
  // Reads waiting for a quorum to acknowledge heartbeat_seq. Ascending seq.
  std::deque<PendingRead> pending_reads_;
  // Lease mode: recent heartbeat rounds and the tick they left at.
  std::deque<HeartbeatSent> heartbeats_sent_;
  std::vector<ReadState> read_states_;

  // Follower state: a snapshot being received in chunks.
  std::optional<ReceivingSnapshot> receiving_snapshot_;

  // Output bookkeeping. Messages not yet handed out (whether each may leave
  // before the Ready's writes are durable follows from its type:
  // IsImmediate), in a vector of their own, so that when every message goes
  // the same way (the common case) the whole vector is handed over without
  // moving each message, which for a protobuf means a construction, a swap
  // and a destruction.
  //
  // Elements [0, outgoing_count_) are the queued messages; those past it are
  // spent messages (given back through RecycleMessages, withdrawn, or moved
  // from) kept for Enqueue to clear and refill. A cleared protobuf keeps its
  // entry objects and their data strings, so a reused message neither
  // destroys nor allocates them again, and copying entries into it allocates
  // nothing; destroying each sent message and building the next showed.
  // What a spare holds is stale and never read. Its entries' data and its
  // snapshot data are released when it is reused if they exceed
  // kMaxKeptBufferBytes (kept_buffer.h, Enqueue), and the spares not reused
  // are destroyed when a Ready takes the queue whole, so a large message's
  // buffers do not outlive the next messages; the vector is never longer
  // than the largest batch of messages queued at once or given back.
  // Invariant: outgoing_count_ <= outgoing_.size().
  std::vector<Message> outgoing_;
  size_t outgoing_count_ = 0;
  // How many queued messages are immediate: those that leave early when
  // the term and vote are durable, as they nearly always are, counted
  // without a walk per Ready. Invariant: the number of queued messages
  // whose type IsImmediate.
  size_t outgoing_immediate_count_ = 0;
  // Compared field by field: HasReady runs after every step, and a
  // HardState message built just to compare with cost more than the check.
  static bool HardStateIs(const HardState& h, uint64_t term, uint64_t vote,
                          uint64_t commit) {
    return h.term() == term && h.vote() == vote && h.commit() == commit;
  }
  // Hard state last handed out in a Ready, and last acknowledged durable.
  HardState handed_hard_state_;
  HardState persisted_hard_state_;
  SoftState handed_soft_state_;
  bool ready_outstanding_ = false;
  // What the outstanding Ready asked the host to persist and apply.
  uint64_t outstanding_last_entry_index_ = 0;
  uint64_t outstanding_last_entry_term_ = 0;
  uint64_t outstanding_snapshot_index_ = 0;
  bool outstanding_hard_state_ = false;
  uint64_t outstanding_last_committed_index_ = 0;
  // Entries a refilled Ready no longer carries, parked instead of destroyed:
  // the next Ready that carries entries takes them back and copies or
  // decodes over them, keeping their string buffers (raft_ready.cc).
  // Contents are stale and never read.
  std::vector<Entry> parked_entries_;
  std::vector<Entry> parked_committed_entries_;
};

[[gnu::always_inline]] inline bool Raft::MaybeCommit() {
  const uint64_t quorum_index = tracker_.Committed();
  if (config_.HasBug(kCommitOldTermByCounting)) {
    // Injected bug: commit by counting regardless of the entry's term.
    if (quorum_index > log_.committed() && quorum_index <= log_.LastIndex()) {
      log_.CommitTo(quorum_index);
      return true;
    }
    return false;
  }
  // Only an entry of the current term is committed by counting replicas;
  // earlier ones commit indirectly (Raft paper section 5.4.2, Figure 8).
  return log_.MaybeCommit(quorum_index, term_);
}

[[gnu::always_inline]] inline Message& Raft::Enqueue(MessageType type) {
  // IsImmediate relies on it.
  RAFT_DCHECK(role_ == Role::kLeader || !IsLeaderMessage(type));
  outgoing_immediate_count_ += IsImmediate(type) ? 1 : 0;
  if (outgoing_count_ < outgoing_.size()) [[likely]] {
    // A spare: cleared, it equals a fresh message but keeps its storage,
    // less any huge buffer (kept_buffer.h). Bounded by ClearMessage, as it
    // is reused, rather than wherever a message becomes a spare (given
    // back, left in a refilled Ready, withdrawn): its stale entries are in
    // sight until cleared, and spares that are not reused are destroyed
    // when a Ready takes the queue whole (DropSpareMessages). Walking every
    // given-back message cost 0.5% of a simulated run.
    Message& m = outgoing_[outgoing_count_++];
    ClearMessage(m);
    return m;
  }
  return EnqueueNew();
}

[[gnu::always_inline]] inline Message& Raft::NewMessage(MessageType type, uint64_t to) {
  RAFT_DCHECK(!IsElectionMessage(type));
  Message& m = Enqueue(type);
  m.set_type(type);
  m.set_from(id_);
  m.set_to(to);
  m.set_term(term_);
  return m;
}

inline bool Raft::HasReady() const {
  if (outgoing_count_ != 0 || !read_states_.empty()) return true;
  if (!HardStateIs(handed_hard_state_, term_, vote_, log_.committed())) {
    return true;
  }
  if (!(SoftState{lead_, role_} == handed_soft_state_)) return true;
  return log_.HasUnstableEntriesToPersist() ||
         log_.HasUnstableSnapshotToPersist() ||
         (!ready_outstanding_ && log_.HasCommittedEntriesToApply());
}

}  // namespace kv::raft
