// Raft core: InstallSnapshot in offset-based chunks (thesis 5.3 and etcd's
// snapshot progress state). The leader keeps one chunk in flight per
// follower and resumes from the follower's acknowledged offset after a loss;
// the follower accumulates chunks of one snapshot and installs it on the
// last one. Memory: one chunk per follower on the leader, one snapshot on a
// receiving follower.
#include <fmt/format.h>

#include "raft/raft.h"
#include "raft/raft_check.h"

namespace kv::raft {

bool Raft::MaybeSendSnapshot(uint64_t to, Progress& progress) {
  const SnapshotMetadata metadata = log_.storage().GetSnapshotMetadata();
  // The entries the follower needs were compacted. If the host cannot give
  // a snapshot now, the follower stays where it is and a later heartbeat
  // response brings it here again.
  if (metadata.index() == 0) return false;
  RAFT_CHECK_GE(metadata.index() + 1, log_.FirstIndex());
  progress.BecomeSnapshot(metadata.index());
  progress.heard_tick = logical_tick_;  // The silence is counted from here.
  SendSnapshotChunk(to, progress);
  return true;
}

void Raft::SendSnapshotChunk(uint64_t to, Progress& progress) {
  RAFT_CHECK(progress.state == ProgressState::kSnapshot);
  const SnapshotMetadata metadata = log_.storage().GetSnapshotMetadata();
  if (metadata.index() == 0) return AbandonSnapshot(progress);
  if (metadata.index() != progress.pending_snapshot_index) {
    // The host took a newer snapshot; restart the transfer with it.
    progress.BecomeSnapshot(metadata.index());
  }
  if (progress.snapshot_chunk_in_flight) return;
  if (progress.snapshot_offset_acked > metadata.size_bytes()) return;
  absl::StatusOr<std::string> chunk = log_.storage().SnapshotChunk(
      metadata.index(), progress.snapshot_offset_acked,
      config_.snapshot_chunk_size_bytes);
  if (!chunk.ok()) return AbandonSnapshot(progress);
  Message& m = NewMessage(MSG_SNAP, to);
  *m.mutable_snapshot_metadata() = metadata;
  m.set_snapshot_offset(progress.snapshot_offset_acked);
  const uint64_t end = progress.snapshot_offset_acked + chunk->size();
  m.set_snapshot_done(end >= metadata.size_bytes());
  m.set_snapshot_data(std::move(*chunk));
  progress.snapshot_chunk_in_flight = true;
}

void Raft::AbandonSnapshot(Progress& progress) {
  // Back to probing from what the follower is known to hold: its next
  // append finds the entries compacted and asks for a snapshot again.
  progress.pending_snapshot_index = 0;
  progress.BecomeProbe();
}

void Raft::HandleSnapshotResponse(const Message& m) {
  Progress* progress = tracker_.Find(m.from());
  if (progress == nullptr) return;
  progress->recent_active = true;
  progress->heard_tick = logical_tick_;
  if (progress->state != ProgressState::kSnapshot ||
      m.snapshot_metadata().index() != progress->pending_snapshot_index) {
    return;  // Stale: from an earlier transfer.
  }
  if (m.snapshot_done()) {
    progress->MaybeUpdate(m.snapshot_metadata().index());
    progress->BecomeProbe();
    SendAppend(m.from());
    return;
  }
  // The follower names the offset it expects next; resume from there (it
  // is 0 if the follower restarted and lost what it had accumulated).
  progress->snapshot_offset_acked = m.snapshot_offset();
  progress->snapshot_chunk_in_flight = false;
  SendSnapshotChunk(m.from(), *progress);
}

void Raft::HandleSnapshot(const Message& m) {
  const SnapshotMetadata& metadata = m.snapshot_metadata();
  if (metadata.index() <= log_.committed()) {
    // We already have it all; tell the leader where we are.
    receiving_snapshot_.reset();
    NewMessage(MSG_APP_RESP, m.from()).set_index(log_.committed());
    return;
  }
  if (m.snapshot_offset() == 0) {
    receiving_snapshot_ = ReceivingSnapshot{metadata, std::string()};
  }
  const bool same_snapshot =
      receiving_snapshot_ &&
      receiving_snapshot_->metadata.index() == metadata.index() &&
      receiving_snapshot_->metadata.term() == metadata.term();
  const uint64_t have = same_snapshot ? receiving_snapshot_->data.size() : 0;
  const bool fits = have + m.snapshot_data().size() <= metadata.size_bytes();
  Message reply;
  reply.set_type(MSG_SNAP_RESP);
  reply.set_to(m.from());
  *reply.mutable_snapshot_metadata() = metadata;
  if (!same_snapshot || m.snapshot_offset() != have || !fits) {
    // Out of order, duplicate, or from a transfer we lost: ask to resume.
    if (!same_snapshot) receiving_snapshot_.reset();
    reply.set_snapshot_offset(have);
    Send(std::move(reply));
    return;
  }
  receiving_snapshot_->data += m.snapshot_data();
  if (!m.snapshot_done()) {
    reply.set_snapshot_offset(receiving_snapshot_->data.size());
    Send(std::move(reply));
    return;
  }
  Snapshot snapshot;
  *snapshot.mutable_metadata() = receiving_snapshot_->metadata;
  snapshot.set_data(std::move(receiving_snapshot_->data));
  receiving_snapshot_.reset();
  if (Restore(std::move(snapshot))) {
    reply.set_snapshot_offset(metadata.size_bytes());
    reply.set_snapshot_done(true);
    Send(std::move(reply));
  } else {
    Message app_reply;
    app_reply.set_type(MSG_APP_RESP);
    app_reply.set_to(m.from());
    app_reply.set_index(log_.committed());
    Send(std::move(app_reply));
  }
}

bool Raft::Restore(Snapshot snapshot) {
  const SnapshotMetadata& metadata = snapshot.metadata();
  if (metadata.index() <= log_.committed()) return false;
  if (log_.MatchTerm(metadata.index(), metadata.term())) {
    // Our log already has the snapshot's last entry: just commit up to it.
    log_.CommitTo(metadata.index());
    return false;
  }
  const ConfState conf_state = metadata.conf_state();
  log_.Restore(std::move(snapshot));
  tracker_.Reset(conf_state, log_.LastIndex() + 1);
  return true;
}

}  // namespace kv::raft
