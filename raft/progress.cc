#include "raft/progress.h"

#include <algorithm>

#include "raft/raft_check.h"

namespace kv::raft {

const char* ProgressStateName(ProgressState state) {
  switch (state) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

Progress::Progress(uint64_t next_index, uint64_t max_inflight_msgs,
                   uint64_t max_inflight_bytes, bool learner)
    : next(next_index),
      is_learner(learner),
      inflights(max_inflight_msgs, max_inflight_bytes) {
  RAFT_CHECK_GE(next_index, uint64_t{1});
}

void Progress::ResetForNewTerm(uint64_t next_index) {
  RAFT_CHECK_GE(next_index, uint64_t{1});
  match = 0;
  next = next_index;
  state = ProgressState::kProbe;
  msg_app_flow_paused = false;
  recent_active = false;
  pending_snapshot_index = 0;
  snapshot_offset_acked = 0;
  snapshot_chunk_in_flight = false;
  heartbeat_seq_acked = 0;
  heartbeat_seq_sent = 0;
  read_heartbeat_since_tick = false;
  inflights.Reset();
}

void Progress::BecomeProbe() {
  if (state == ProgressState::kSnapshot) {
    next = std::max(match + 1, pending_snapshot_index + 1);
  } else {
    next = match + 1;
  }
  state = ProgressState::kProbe;
  msg_app_flow_paused = false;
  pending_snapshot_index = 0;
  snapshot_offset_acked = 0;
  snapshot_chunk_in_flight = false;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  msg_app_flow_paused = false;
  pending_snapshot_index = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  state = ProgressState::kSnapshot;
  msg_app_flow_paused = false;
  pending_snapshot_index = snapshot_index;
  snapshot_offset_acked = 0;
  snapshot_chunk_in_flight = false;
  inflights.Reset();
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t match_hint) {
  if (state == ProgressState::kReplicate) {
    // A rejection at or below match is stale: the follower has since matched.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // In probe state only the outstanding probe's rejection counts.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, match_hint + 1), match + 1);
  msg_app_flow_paused = false;
  return true;
}

ProgressTracker::ProgressTracker(uint64_t max_inflight_msgs,
                                 uint64_t max_inflight_bytes)
    : max_inflight_msgs_(max_inflight_msgs),
      max_inflight_bytes_(max_inflight_bytes) {}

Progress ProgressTracker::MakeProgress(uint64_t next_index, bool learner) const {
  return Progress(next_index, max_inflight_msgs_, max_inflight_bytes_, learner);
}

void ProgressTracker::Reset(const ConfState& conf_state, uint64_t next_index) {
  progress_.clear();
  for (uint64_t id : conf_state.voters()) {
    progress_.emplace(id, MakeProgress(next_index, false));
  }
  for (uint64_t id : conf_state.learners()) {
    RAFT_CHECK(progress_.count(id) == 0);
    progress_.emplace(id, MakeProgress(next_index, true));
  }
  RebuildLists();
}

void ProgressTracker::ApplyConfChange(const ConfChange& change,
                                      uint64_t next_index) {
  const uint64_t id = change.node_id();
  auto it = progress_.find(id);
  switch (change.type()) {
    case CONF_CHANGE_ADD_VOTER:
      if (it == progress_.end()) {
        progress_.emplace(id, MakeProgress(next_index, false));
      } else {
        it->second.is_learner = false;
      }
      break;
    case CONF_CHANGE_ADD_LEARNER:
      // Demoting a voter to learner is not supported; adding an existing
      // voter as learner is a no-op (the proposal path rejects it).
      if (it == progress_.end()) {
        progress_.emplace(id, MakeProgress(next_index, true));
      }
      break;
    case CONF_CHANGE_REMOVE_NODE:
      if (it != progress_.end()) progress_.erase(it);
      votes_.erase(id);
      break;
    default:
      RAFT_CHECK(false);
  }
  RebuildLists();
}

void ProgressTracker::RebuildLists() {
  voters_.clear();
  learners_.clear();
  member_ids_.clear();
  member_progress_.clear();
  voter_progress_.clear();
  for (auto& [id, progress] : progress_) {
    (progress.is_learner ? learners_ : voters_).push_back(id);
    if (!progress.is_learner) voter_progress_.push_back(&progress);
    member_ids_.push_back(id);
    member_progress_.push_back(&progress);
  }
}

ConfState ProgressTracker::GetConfState() const {
  ConfState conf_state;
  for (uint64_t id : voters_) conf_state.add_voters(id);
  for (uint64_t id : learners_) conf_state.add_learners(id);
  return conf_state;
}

bool ProgressTracker::IsVoter(uint64_t id) const {
  const Progress* progress = Find(id);
  return progress != nullptr && !progress->is_learner;
}

bool ProgressTracker::IsLearner(uint64_t id) const {
  const Progress* progress = Find(id);
  return progress != nullptr && progress->is_learner;
}

bool ProgressTracker::QuorumActive(uint64_t self) const {
  std::map<uint64_t, bool> active;
  for (uint64_t id : voters_) {
    active[id] = id == self || progress_.at(id).recent_active;
  }
  return MajorityVoteResult(voters_, active) == VoteResult::kWon;
}

uint64_t ProgressTracker::QuorumHeartbeatSeq(uint64_t self,
                                             uint64_t self_seq) const {
  return MajorityIndex(voter_progress_.size(), [&](size_t i) {
    return voters_[i] == self ? self_seq : voter_progress_[i]->heartbeat_seq_acked;
  });
}

void ProgressTracker::RecordVote(uint64_t id, bool granted) {
  votes_.emplace(id, granted);
}

VoteResult ProgressTracker::TallyVotes() const {
  return MajorityVoteResult(voters_, votes_);
}

}  // namespace kv::raft
