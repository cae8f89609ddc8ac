// Raft core: linearizable reads. ReadIndex (thesis 6.4) confirms leadership
// with a heartbeat round that carries a fresh sequence number, so a late
// acknowledgement of an earlier round can never confirm a newer read
// (etcd#20418). Lease reads (thesis 6.4.1) answer at once while a quorum has
// acknowledged a heartbeat sent less than (election timeout - clock drift)
// ticks ago.
#include <fmt/format.h>

#include "raft/raft.h"
#include "raft/raft_check.h"

namespace kv::raft {

absl::Status Raft::ReadIndex(uint64_t request_id) {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: not leader (leader hint {})", id_, lead_));
  }
  const uint64_t waiting =
      reads_waiting_for_commit_.size() + pending_reads_.size();
  if (waiting >= config_.max_pending_read_requests) {
    return absl::ResourceExhaustedError(fmt::format(
        "raft {}: {} reads pending, limit {}", id_, waiting,
        config_.max_pending_read_requests));
  }
  if (!CommittedEntryInCurrentTerm()) {
    reads_waiting_for_commit_.push_back(request_id);
    return absl::OkStatus();
  }
  ProcessReadIndex(request_id);
  return absl::OkStatus();
}

void Raft::ProcessReadIndex(uint64_t request_id) {
  RAFT_CHECK(role_ == Role::kLeader);
  const uint64_t index = log_.committed();
  if (tracker_.voters().size() == 1 && tracker_.IsVoter(id_)) {
    read_states_.push_back(ReadState{index, request_id});
    return;
  }
  if (config_.read_only_option == ReadOnlyOption::kLeaseBased && LeaseValid()) {
    read_states_.push_back(ReadState{index, request_id});
    return;
  }
  const uint64_t seq = ++heartbeat_seq_;
  RecordHeartbeatSent(seq);
  pending_reads_.push_back(PendingRead{request_id, index, seq});
  if (config_.read_index_fanout == ReadIndexFanout::kQuorum && SendReadRoundToQuorum(seq)) {
    // The members left out still get their periodic heartbeats, so the
    // interval is not restarted.
    return;
  }
  for (auto& [id, progress] : tracker_.progress()) {
    if (id != id_) SendHeartbeat(id, progress, seq);
  }
  // These heartbeats do all a periodic round would (reset followers'
  // election timers, carry the commit index, probe for lost appends), so
  // they restart the heartbeat interval, and a periodic round due at the
  // next tick is skipped (TickHeartbeat): a leader serving reads sends no
  // extra heartbeats.
  heartbeat_elapsed_ticks_ = 0;
  read_heartbeats_since_tick_ = true;
}

bool Raft::SendReadRoundToQuorum(uint64_t seq) {
  const std::vector<uint64_t>& voters = tracker_.voters();
  // A leader outside the voters (it is being removed) counts for nothing.
  if (!tracker_.IsVoter(id_)) return false;
  const size_t needed = voters.size() / 2;  // With the leader: a majority.
  if (needed + 1 >= tracker_.progress().size()) return false;  // Everyone else.
  // Voters are few (a handful): pick by insertion into a small array.
  // Order: answered their last heartbeat first, then least recently asked,
  // then lowest id (voters are ascending), so that healthy followers take
  // turns and a silent one is asked only when no other will do.
  struct Candidate {
    bool unanswered;
    uint64_t sent;
    uint64_t id;
    Progress* progress;
    bool operator<(const Candidate& o) const {
      if (unanswered != o.unanswered) return !unanswered;
      return sent < o.sent;
    }
  };
  constexpr size_t kMaxPicked = 8;
  Candidate picked[kMaxPicked];
  size_t count = 0;
  const size_t want = std::min(needed, kMaxPicked);
  for (uint64_t id : voters) {
    if (id == id_) continue;
    Progress* progress = tracker_.Find(id);
    const Candidate c{progress->heartbeat_seq_sent > progress->heartbeat_seq_acked,
                      progress->heartbeat_seq_sent, id, progress};
    // Insertion keeps the `want` best, stable in id order for equal keys.
    size_t at = count;
    while (at > 0 && c < picked[at - 1]) --at;
    if (at >= want) continue;
    if (count < want) ++count;
    for (size_t i = count - 1; i > at; --i) picked[i] = picked[i - 1];
    picked[at] = c;
  }
  if (count < needed) return false;  // More than kMaxPicked needed: ask all.
  for (size_t i = 0; i < count; ++i) {
    SendHeartbeat(picked[i].id, *picked[i].progress, seq);
    picked[i].progress->read_heartbeat_since_tick = true;
  }
  return true;
}

void Raft::ReleaseSafeReads() {
  const uint64_t quorum_seq = tracker_.QuorumHeartbeatSeq(id_, heartbeat_seq_);
  while (!pending_reads_.empty() &&
         pending_reads_.front().heartbeat_seq <= quorum_seq) {
    const PendingRead& read = pending_reads_.front();
    read_states_.push_back(ReadState{read.index, read.request_id});
    pending_reads_.pop_front();
  }
}

void Raft::RecordHeartbeatSent(uint64_t seq) {
  if (config_.read_only_option != ReadOnlyOption::kLeaseBased) return;
  heartbeats_sent_.push_back(HeartbeatSent{seq, logical_tick_});
  // A round older than an election timeout can no longer extend the lease.
  const uint64_t timeout = static_cast<uint64_t>(config_.election_timeout_ticks);
  while (!heartbeats_sent_.empty() &&
         heartbeats_sent_.front().tick + timeout <= logical_tick_) {
    heartbeats_sent_.pop_front();
  }
}

uint64_t Raft::LeaseExpiryTick() const {
  const uint64_t quorum_seq = tracker_.QuorumHeartbeatSeq(id_, heartbeat_seq_);
  // Latest round a quorum acknowledged. Rounds are recorded in ascending seq.
  uint64_t sent_tick = 0;
  bool found = false;
  for (const HeartbeatSent& sent : heartbeats_sent_) {
    if (sent.seq > quorum_seq) break;
    sent_tick = sent.tick;
    found = true;
  }
  if (!found) return 0;
  // Followers that acknowledged the round ignore votes for an election
  // timeout after receiving it, which is no earlier than sent_tick; a drift
  // bound covers their clocks running faster than ours.
  return sent_tick + static_cast<uint64_t>(config_.election_timeout_ticks) -
         static_cast<uint64_t>(config_.max_clock_drift_ticks);
}

bool Raft::LeaseValid() const {
  if (role_ != Role::kLeader) return false;
  if (config_.read_only_option != ReadOnlyOption::kLeaseBased) return false;
  // Injected bug: trust leadership without checking the lease.
  if (config_.HasBug(kServeLeaseReadWhenDeposed)) return true;
  // During a transfer the target may win an election at any moment, and a
  // MSG_TIMEOUT_NOW still in flight may start one even after an abort.
  if (lead_transferee_ != 0 || timeout_now_sent_) return false;
  return logical_tick_ < LeaseExpiryTick();
}

}  // namespace kv::raft
