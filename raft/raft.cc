// Raft core: construction, the message dispatcher shared by every role, role
// transitions, timers and the outgoing message queue.
#include "raft/raft.h"

#include <fmt/format.h>

#include "raft/raft_check.h"

namespace kv::raft {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Raft>> Raft::Create(const Config& config,
                                                   const LogStorage* storage,
                                                   uint64_t random_seed) {
  absl::Status valid = config.Validate();
  if (!valid.ok()) return valid;
  if (storage == nullptr) {
    return absl::InvalidArgumentError("raft: storage must not be null");
  }
  const InitialState initial = storage->GetInitialState();
  if (initial.hard_state.term() > kMaxTerm) {
    return absl::DataLossError(fmt::format("raft: stored term {} above the limit {}",
                                           initial.hard_state.term(), kMaxTerm));
  }
  if (initial.hard_state.commit() > storage->LastIndex()) {
    return absl::DataLossError(fmt::format(
        "raft: stored commit index {} beyond last index {}",
        initial.hard_state.commit(), storage->LastIndex()));
  }
  return std::unique_ptr<Raft>(new Raft(config, storage, random_seed));
}

Raft::Raft(const Config& config, const LogStorage* storage,
           uint64_t random_seed)
    : config_(config),
      random_(random_seed),
      log_(storage, config.max_entry_cache_bytes),
      tracker_(config.max_inflight_msgs, config.max_inflight_bytes),
      id_(config.id) {
  const InitialState initial = storage->GetInitialState();
  term_ = initial.hard_state.term();
  vote_ = initial.hard_state.vote();
  log_.CommitTo(initial.hard_state.commit());
  tracker_.Reset(initial.conf_state, log_.LastIndex() + 1);
  handed_hard_state_ = initial.hard_state;
  persisted_hard_state_ = initial.hard_state;
  BecomeFollower(term_, 0);
  handed_soft_state_ = SoftState{lead_, role_};
  boot_vote_lease_ = config_.read_only_option == ReadOnlyOption::kLeaseBased;
}

absl::Status Raft::Step(const Message& m) {
  if (m.to() != id_) {
    return absl::InvalidArgumentError(
        fmt::format("raft {}: message addressed to {}", id_, m.to()));
  }
  if (m.from() == 0 || m.from() == id_) {
    return absl::InvalidArgumentError(
        fmt::format("raft {}: message from invalid id {}", id_, m.from()));
  }
  // MessageType's values run without gaps up to MessageType_MAX (raft.proto;
  // raft_election_test pins it), so a range check does what the out-of-line
  // MessageType_IsValid does, for every message stepped.
  if (m.type() <= MSG_NONE || m.type() > MessageType_MAX) {
    return absl::InvalidArgumentError(fmt::format(
        "raft {}: message of unknown type {}", id_, static_cast<int>(m.type())));
  }
  if (m.term() > kMaxTerm) {
    return absl::InvalidArgumentError(
        fmt::format("raft {}: message term {} above the limit {}", id_, m.term(), kMaxTerm));
  }
  if (m.term() > term_) {
    if (!HandleHigherTerm(m)) return absl::OkStatus();
  } else if (m.term() < term_) {
    const bool vote_response =
        m.type() == MSG_VOTE_RESP || m.type() == MSG_PRE_VOTE_RESP;
    if (!(vote_response && config_.HasBug(kCountVotesFromWrongTerm))) {
      HandleLowerTerm(m);
      return absl::OkStatus();
    }
    // Injected bug: fall through and count a stale vote.
  }
  if (m.type() == MSG_PRE_VOTE || m.type() == MSG_VOTE) {
    HandleVoteRequest(m);
    return absl::OkStatus();
  }
  switch (role_) {
    case Role::kLeader:
      StepLeader(m);
      break;
    case Role::kPreCandidate:
    case Role::kCandidate:
      StepCandidate(m);
      break;
    case Role::kFollower:
      StepFollower(m);
      break;
  }
  return absl::OkStatus();
}

bool Raft::HandleHigherTerm(const Message& m) {
  if (m.type() == MSG_PRE_VOTE || m.type() == MSG_VOTE) {
    // Check-quorum vote lease (thesis 4.2.3): a member that heard from a
    // leader within the election timeout ignores (pre-)votes, unless the
    // leader itself asked for the election by transferring leadership.
    if (!m.transfer() && InVoteLease()) return false;
  }
  if (m.type() == MSG_PRE_VOTE) {
    // A pre-vote never changes our term (thesis 9.6).
    return true;
  }
  if (m.type() == MSG_PRE_VOTE_RESP && !m.reject()) {
    // A granted pre-vote carries the future term; the term is bumped only
    // when the pre-election is won.
    return true;
  }
  const bool from_leader = m.type() == MSG_APP || m.type() == MSG_HEARTBEAT ||
                           m.type() == MSG_SNAP;
  BecomeFollower(m.term(), from_leader ? m.from() : 0);
  return true;
}

void Raft::HandleLowerTerm(const Message& m) {
  if ((config_.check_quorum || config_.pre_vote) &&
      (m.type() == MSG_HEARTBEAT || m.type() == MSG_APP)) {
    // A deposed leader may be cut off from the new one; tell it our term so
    // it steps down. Without this, with check-quorum or pre-vote it could
    // keep us from ever campaigning successfully (etcd raft, same rule).
    NewMessage(MSG_APP_RESP, m.from());
  } else if (m.type() == MSG_PRE_VOTE) {
    Message reply;
    reply.set_type(MSG_PRE_VOTE_RESP);
    reply.set_to(m.from());
    reply.set_term(term_);
    reply.set_reject(true);
    Send(std::move(reply));
  }
  // Anything else from an older term is stale and dropped.
}

void Raft::StepLeader(const Message& m) {
  switch (m.type()) {
    case MSG_APP_RESP:
      HandleAppendResponse(m);
      break;
    case MSG_HEARTBEAT_RESP:
      HandleHeartbeatResponse(m);
      break;
    case MSG_SNAP_RESP:
      HandleSnapshotResponse(m);
      break;
    default:
      // Same-term MSG_APP/MSG_HEARTBEAT cannot come from a correct peer (one
      // leader per term); stale vote responses are irrelevant now.
      break;
  }
}

void Raft::StepCandidate(const Message& m) {
  switch (m.type()) {
    case MSG_APP:
      BecomeFollower(m.term(), m.from());
      HandleAppend(m);
      break;
    case MSG_HEARTBEAT:
      BecomeFollower(m.term(), m.from());
      HandleHeartbeat(m);
      break;
    case MSG_SNAP:
      BecomeFollower(m.term(), m.from());
      HandleSnapshot(m);
      break;
    case MSG_PRE_VOTE_RESP:
      // Injected bug: a candidate takes a pre-vote grant for a vote.
      if (role_ == Role::kPreCandidate ||
          (role_ == Role::kCandidate && config_.HasBug(kCountVotesFromWrongTerm))) {
        Poll(m);
      }
      break;
    case MSG_VOTE_RESP:
      if (role_ == Role::kCandidate) Poll(m);
      break;
    default:
      break;
  }
}

void Raft::StepFollower(const Message& m) {
  switch (m.type()) {
    case MSG_APP:
      election_elapsed_ticks_ = 0;
      lead_ = m.from();
      HandleAppend(m);
      break;
    case MSG_HEARTBEAT:
      election_elapsed_ticks_ = 0;
      lead_ = m.from();
      HandleHeartbeat(m);
      break;
    case MSG_SNAP:
      election_elapsed_ticks_ = 0;
      lead_ = m.from();
      HandleSnapshot(m);
      break;
    case MSG_TIMEOUT_NOW:
      // Leadership transfer (thesis 3.10): campaign at once, skipping
      // pre-vote and the vote lease.
      Hup(/*transfer=*/true);
      break;
    default:
      break;
  }
}

void Raft::Reset(uint64_t term) {
  RAFT_CHECK_GE(term, term_);
  if (term != term_) {
    term_ = term;
    vote_ = 0;
  }
  lead_ = 0;
  election_elapsed_ticks_ = 0;
  heartbeat_elapsed_ticks_ = 0;
  read_heartbeats_since_tick_ = false;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  timeout_now_sent_ = false;
  tracker_.ResetVotes();
  const uint64_t next = log_.LastIndex() + 1;
  for (auto& [id, progress] : tracker_.progress()) {
    progress.ResetForNewTerm(next);
    if (id == id_) progress.match = log_.PersistedIndex();
  }
  pending_conf_index_ = 0;
  uncommitted_size_bytes_ = 0;
  reads_waiting_for_commit_.clear();
  pending_reads_.clear();
  heartbeats_sent_.clear();
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  role_ = Role::kFollower;
}

void Raft::BecomePreCandidate() {
  RAFT_CHECK(role_ != Role::kLeader);
  // Term and vote stay; only the tally and the known leader are reset
  // (clearing the leader fixes etcd#8243/#9586).
  tracker_.ResetVotes();
  tracker_.RecordVote(id_, true);
  lead_ = 0;
  role_ = Role::kPreCandidate;
}

void Raft::BecomeCandidate() {
  RAFT_CHECK(role_ != Role::kLeader);
  Reset(term_ + 1);
  vote_ = id_;
  tracker_.RecordVote(id_, true);
  role_ = Role::kCandidate;
  boot_vote_lease_ = false;
}

void Raft::BecomeLeader() {
  RAFT_CHECK(role_ == Role::kCandidate);
  Reset(term_);
  lead_ = id_;
  role_ = Role::kLeader;
  for (auto& [id, progress] : tracker_.progress()) {
    if (id == id_) {
      progress.MaybeUpdate(log_.PersistedIndex());
      progress.BecomeReplicate();
      progress.recent_active = true;
    }
  }
  // Conservatively, any entry in the log might be a conf change.
  pending_conf_index_ = log_.LastIndex();
  // An empty entry of the new term lets the leader commit (Raft paper
  // section 5.4.2, and thesis 6.4 for ReadIndex).
  Entry empty;
  absl::Status appended = AppendEntries({empty});
  RAFT_CHECK(appended.ok());
}

void Raft::Tick() {
  ++logical_tick_;
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_ticks_;
  if (election_elapsed_ticks_ >= config_.election_timeout_ticks) {
    boot_vote_lease_ = false;
  }
  if (Promotable() &&
      election_elapsed_ticks_ >= randomized_election_timeout_ticks_) {
    election_elapsed_ticks_ = 0;
    Hup(/*transfer=*/false);
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_ticks_;
  ++election_elapsed_ticks_;
  if (election_elapsed_ticks_ >= config_.election_timeout_ticks) {
    election_elapsed_ticks_ = 0;
    if (config_.check_quorum) {
      // Check-quorum (thesis 6.2): step down if a quorum was not heard from
      // within the last election timeout.
      if (!tracker_.QuorumActive(id_)) {
        BecomeFollower(term_, 0);
        return;
      }
      for (auto& [id, progress] : tracker_.progress()) {
        if (id != id_) progress.recent_active = false;
      }
    }
    // A transfer that did not finish within an election timeout is over.
    AbortLeaderTransfer();
    AbandonSnapshotsToSilentMembers();
  }
  // A ReadIndex round to every member since the last tick stands in for a
  // periodic round due now. It also restarted the interval
  // (ProcessReadIndex), so followers never wait more than an interval plus
  // a tick between heartbeats. A round to only some members (kQuorum)
  // stands in for theirs alone, and restarts nothing.
  const bool read_round_since_tick = read_heartbeats_since_tick_;
  read_heartbeats_since_tick_ = false;
  if (heartbeat_elapsed_ticks_ >= config_.heartbeat_timeout_ticks) {
    heartbeat_elapsed_ticks_ = 0;
    if (!read_round_since_tick) BroadcastHeartbeat();
  }
  for (auto& [id, progress] : tracker_.progress()) progress.read_heartbeat_since_tick = false;
}

void Raft::AbandonSnapshotsToSilentMembers() {
  // A member that has not answered for an election timeout may be down for
  // good. Its transfer would otherwise stay open until it answers, and the
  // host keep the snapshot for it (a whole shard, in the KV node's memory
  // budget) all that time; etcd's transport reports such a failure with
  // ReportSnapshot. Abandoned, the member is probed again once a heartbeat
  // response shows it is back, and gets a new snapshot then.
  for (auto& [id, progress] : tracker_.progress()) {
    if (id == id_ || progress.state != ProgressState::kSnapshot) continue;
    if (logical_tick_ - progress.heard_tick < static_cast<uint64_t>(config_.election_timeout_ticks)) continue;
    AbandonSnapshot(progress);
    progress.msg_app_flow_paused = true;  // No probe before it answers.
  }
}

void Raft::ResetRandomizedElectionTimeout() {
  const uint64_t base = static_cast<uint64_t>(config_.election_timeout_ticks);
  randomized_election_timeout_ticks_ =
      static_cast<int>(base + random_.Uniform(base));
}

bool Raft::Promotable() const {
  return tracker_.IsVoter(id_) && !log_.has_unstable_snapshot();
}

bool Raft::InVoteLease() const {
  return config_.check_quorum && (lead_ != 0 || boot_vote_lease_) &&
         election_elapsed_ticks_ < config_.election_timeout_ticks;
}

Message& Raft::EnqueueNew() {
  // Most Readies carry a few messages: one allocation instead of a regrowth
  // (which moves every message) at the second and the third.
  constexpr size_t kInitialOutgoingCapacity = 4;
  if (outgoing_.capacity() == 0) outgoing_.reserve(kInitialOutgoingCapacity);
  ++outgoing_count_;
  return outgoing_.emplace_back();
}

void Raft::Send(Message&& m) {
  const MessageType type = m.type();
  m.set_from(id_);
  if (IsElectionMessage(type)) {
    RAFT_CHECK_NE(m.term(), uint64_t{0});
  } else {
    m.set_term(term_);
  }
  Enqueue(type) = std::move(m);
}

void Raft::DropLastMessage() {
  RAFT_CHECK_GT(outgoing_count_, size_t{0});
  // Kept as a spare; Enqueue clears it before reuse.
  --outgoing_count_;
  outgoing_immediate_count_ -= IsImmediate(outgoing_[outgoing_count_].type()) ? 1 : 0;
}


}  // namespace kv::raft
