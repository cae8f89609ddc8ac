// Raft core: the leader's side of log replication (Raft paper section 5.3,
// thesis 10.2 for pipelining and batching), commitment and proposals.
#include <fmt/format.h>

#include "raft/raft.h"
#include "raft/raft_check.h"

namespace kv::raft {

absl::Status Raft::Propose(std::string command) {
  // ProposeEntries for one command, with the entry built in place in the
  // log: a one-entry vector would cost an allocation and an entry per
  // proposal.
  absl::Status proposable = CheckProposable();
  if (!proposable.ok()) return proposable;
  const uint64_t size = command.size();
  absl::Status admitted = CheckUncommittedBudget(size);
  if (!admitted.ok()) return admitted;
  uncommitted_size_bytes_ += size;
  log_.AppendNormal(term_, std::move(command));
  BroadcastAppend();
  return absl::OkStatus();
}

absl::Status Raft::Propose(std::vector<std::string> commands) {
  absl::Status proposable = CheckProposable();
  if (!proposable.ok()) return proposable;
  std::vector<Entry> entries(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    entries[i].set_data(std::move(commands[i]));
  }
  return ProposeEntries(std::move(entries));
}

absl::Status Raft::CheckProposable() const {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: not leader (leader hint {})", id_, lead_));
  }
  if (lead_transferee_ != 0) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: leadership transfer to {} in progress", id_, lead_transferee_));
  }
  return absl::OkStatus();
}

absl::Status Raft::ProposeEntries(std::vector<Entry> entries) {
  absl::Status appended = AppendEntries(std::move(entries));
  if (!appended.ok()) return appended;
  BroadcastAppend();
  return absl::OkStatus();
}

absl::Status Raft::CheckUncommittedBudget(uint64_t size_bytes) const {
  const uint64_t limit = config_.max_uncommitted_entries_size_bytes;
  // An empty budget always admits one proposal, so an entry larger than the
  // limit can still make progress (etcd raft, same rule).
  if (limit != 0 && uncommitted_size_bytes_ > 0 &&
      uncommitted_size_bytes_ + size_bytes > limit) {
    return absl::ResourceExhaustedError(fmt::format(
        "raft {}: uncommitted entries {} + {} bytes exceed limit {}", id_,
        uncommitted_size_bytes_, size_bytes, limit));
  }
  return absl::OkStatus();
}

absl::Status Raft::AppendEntries(std::vector<Entry> entries) {
  const uint64_t size = EntriesDataSize(entries);
  absl::Status admitted = CheckUncommittedBudget(size);
  if (!admitted.ok()) return admitted;
  uint64_t index = log_.LastIndex();
  for (Entry& entry : entries) {
    entry.set_term(term_);
    entry.set_index(++index);
  }
  uncommitted_size_bytes_ += size;
  log_.Append(std::move(entries));
  // The leader's own match advances only when the host acknowledges the
  // write (AckPersisted), so a commit never counts an unpersisted copy.
  return absl::OkStatus();
}

void Raft::SendAppend(uint64_t to) { MaybeSendAppend(to, true); }

bool Raft::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  Progress* progress = tracker_.Find(to);
  return progress != nullptr && MaybeSendAppend(to, *progress, send_if_empty);
}

bool Raft::SendAppendIfDue(uint64_t to, Progress& progress, bool send_if_empty) {
  if (progress.IsPaused()) return false;
  const uint64_t prev_index = progress.next - 1;
  const bool has_entries = progress.next <= log_.LastIndex();
  // The pipelining loop calls this until it returns false: say so before
  // looking up a term. The term at the last index is always known (LastTerm
  // relies on it), so the lookup below could not have asked for a snapshot.
  if (!has_entries && !send_if_empty && prev_index == log_.LastIndex()) {
    return false;
  }
  absl::StatusOr<uint64_t> prev_term = log_.Term(prev_index);
  if (!prev_term.ok()) return MaybeSendSnapshot(to, progress);
  // Nor before building a message.
  if (!has_entries && !send_if_empty) return false;
  // The entries go straight into the message, built in the outgoing queue
  // and withdrawn if it does not go after all.
  Message& m = NewMessage(MSG_APP, to);
  if (has_entries) {
    absl::Status sliced =
        log_.SliceInto(progress.next, log_.LastIndex() + 1,
                       config_.max_size_per_msg_bytes, *m.mutable_entries());
    if (!sliced.ok()) {
      DropLastMessage();
      return MaybeSendSnapshot(to, progress);
    }
  }
  const bool had_entries = m.entries_size() > 0;
  if (!had_entries && !send_if_empty) {
    DropLastMessage();
    return false;
  }
  const uint64_t last_index =
      had_entries ? m.entries(m.entries_size() - 1).index() : prev_index;
  uint64_t bytes = 0;
  for (const Entry& entry : m.entries()) bytes += entry.data().size();
  m.set_index(prev_index);
  m.set_log_term(*prev_term);
  m.set_commit(log_.committed());
  // While reads wait, an append carries the latest heartbeat round, and its
  // answer confirms leadership for the reads of that round and older just
  // as a heartbeat's would (it was sent after they were registered): a read
  // need not wait for the one follower its own round went to when another
  // answers an append first.
  if (!pending_reads_.empty()) m.set_heartbeat_seq(heartbeat_seq_);
  // The first append in flight starts the wait AppendDueOnHeartbeat measures.
  if (progress.inflights.count() == 0) progress.append_heard_tick = logical_tick_;
  progress.SentEntries(last_index, bytes, had_entries);
  return true;
}

// The broadcasts hand each member's progress over as they visit it, rather
// than have MaybeSendAppend look it up again by id.
void Raft::BroadcastAppend() {
  for (auto& [id, progress] : tracker_.progress()) {
    if (id != id_) MaybeSendAppend(id, progress, true);
  }
}

void Raft::BroadcastCommit() {
  if (config_.broadcast_commit) return BroadcastAppend();
  for (auto& [id, progress] : tracker_.progress()) {
    if (id != id_) MaybeSendAppend(id, progress, false);
  }
}

void Raft::BroadcastHeartbeat() {
  const uint64_t seq = ++heartbeat_seq_;
  RecordHeartbeatSent(seq);
  for (auto& [id, progress] : tracker_.progress()) {
    if (id == id_) continue;
    // A member a read's round reached since the last tick has had this
    // interval's heartbeat.
    if (!progress.read_heartbeat_since_tick) SendHeartbeat(id, progress, seq);
  }
  // A single voter confirms its own reads.
  ReleaseReads();
}

void Raft::SendHeartbeat(uint64_t to, Progress& progress, uint64_t seq) {
  progress.heartbeat_seq_sent = seq;
  Message& m = NewMessage(MSG_HEARTBEAT, to);
  // The follower may not have the leader's committed entries yet; it must
  // not commit beyond what it is known to match.
  m.set_commit(std::min(progress.match, log_.committed()));
  m.set_heartbeat_seq(seq);
}

void Raft::HandleAppendResponse(const Message& m) {
  Progress* progress = tracker_.Find(m.from());
  if (progress == nullptr) return;
  progress->recent_active = true;
  progress->heard_tick = logical_tick_;
  progress->append_heard_tick = logical_tick_;
  // A rejection too: the member answered in this leader's term.
  if (m.heartbeat_seq() > progress->heartbeat_seq_acked) {
    progress->heartbeat_seq_acked = m.heartbeat_seq();
    ReleaseReads();
  }
  if (m.reject()) {
    // Fast back-tracking (thesis 5.3 optimisation, etcd's conflict hint):
    // skip every entry of a term the follower cannot match in one step.
    uint64_t next_probe_index = m.reject_hint();
    if (m.log_term() > 0) {
      next_probe_index =
          log_.FindConflictByTerm(m.reject_hint(), m.log_term()).first;
    }
    if (progress->MaybeDecrTo(m.index(), next_probe_index)) {
      if (progress->state == ProgressState::kReplicate) progress->BecomeProbe();
      SendAppend(m.from());
    }
    return;
  }
  const bool was_paused = progress->IsPaused();
  const bool updated = progress->MaybeUpdate(m.index());
  if (!updated && !(progress->match == m.index() &&
                    progress->state == ProgressState::kProbe)) {
    return;
  }
  switch (progress->state) {
    case ProgressState::kProbe:
      progress->BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      if (progress->match >= progress->pending_snapshot_index ||
          progress->match + 1 >= log_.FirstIndex()) {
        progress->BecomeProbe();
        progress->BecomeReplicate();
      }
      break;
    case ProgressState::kReplicate:
      progress->inflights.FreeLE(m.index());
      break;
  }
  // Nothing below changes the membership, so `progress` stays valid.
  if (MaybeCommit()) {
    OnCommitAdvanced();
    BroadcastCommit();
  } else if (was_paused) {
    MaybeSendAppend(m.from(), *progress, true);
  }
  // Pipelining: keep the window full while there is something to send.
  while (MaybeSendAppend(m.from(), *progress, false)) {
  }
  // A transfer is rare: asked first.
  if (m.from() == lead_transferee_ && progress->match == log_.LastIndex()) {
    SendTimeoutNow(m.from());
  }
}

void Raft::HandleHeartbeatResponse(const Message& m) {
  Progress* progress = tracker_.Find(m.from());
  if (progress == nullptr) return;
  progress->recent_active = true;
  progress->heard_tick = logical_tick_;
  progress->msg_app_flow_paused = false;
  progress->heartbeat_seq_acked =
      std::max(progress->heartbeat_seq_acked, m.heartbeat_seq());
  if (progress->state == ProgressState::kReplicate &&
      progress->inflights.Full()) {
    // A full window and a live follower suggest a lost MSG_APP.
    progress->inflights.FreeFirstOne();
  }
  if (progress->state == ProgressState::kSnapshot) {
    // The chunk in flight (or its acknowledgement) may be lost: resend from
    // the acknowledged offset. A duplicate is harmless.
    progress->snapshot_chunk_in_flight = false;
    SendSnapshotChunk(m.from(), *progress);
  } else if (progress->match < log_.LastIndex() && AppendDueOnHeartbeat(*progress)) {
    MaybeSendAppend(m.from(), *progress, true);
  }
  ReleaseReads();
}

bool Raft::AppendDueOnHeartbeat(Progress& progress) {
  // Entries not yet sent go now; so does a probe, which waits for exactly
  // this to send again.
  if (progress.state != ProgressState::kReplicate || progress.next <= log_.LastIndex()) return true;
  // Everything is in flight, so the append would be empty: it only finds
  // out whether the last ones were lost (the follower rejects it if they
  // were). etcd sends it at every heartbeat response; with a heartbeat
  // round per ReadIndex, that was an empty append and its answer per read
  // while writes were in flight, and the empty append, overtaking the
  // entries on a reordering link, drew a rejection and a resend of them
  // all. So only when the follower has not answered an append in the
  // current tick or the last one (a tick is many round trips): a loss is
  // then found within two ticks, and at most one such append goes per tick.
  if (logical_tick_ - progress.append_heard_tick < 2) return false;
  progress.append_heard_tick = logical_tick_;
  return true;
}

void Raft::OnCommitAdvanced() {
  if (!CommittedEntryInCurrentTerm()) return;
  // Reads postponed until the leader's first commit of its term (thesis 6.4:
  // only then is its commit index at least that of any earlier leader).
  std::vector<uint64_t> waiting;
  waiting.swap(reads_waiting_for_commit_);
  for (uint64_t request_id : waiting) ProcessReadIndex(request_id);
}

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_.TermOrZero(log_.committed()) == term_;
}

void Raft::SendTimeoutNow(uint64_t to) {
  NewMessage(MSG_TIMEOUT_NOW, to);
  // The target may act on this message at any later time in this term,
  // even after the transfer was aborted, and its election overrides the
  // vote lease; so this leader's lease is void for the rest of the term.
  timeout_now_sent_ = true;
}

}  // namespace kv::raft
