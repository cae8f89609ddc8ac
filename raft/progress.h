#pragma once
// Per-follower replication progress and the tracker of the whole membership
// (layer: raft/). Only the leader uses progress; every role uses the
// membership and the vote tally.

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "raft/inflights.h"
#include "raft/quorum.h"
#include "raft/raft.pb.h"
#include "raft/raft_check.h"

namespace kv::raft {

enum class ProgressState {
  // One MSG_APP in flight at a time until the follower's match is known.
  kProbe,
  // Optimistic pipelining: next advances as messages leave, bounded by the
  // in-flight window.
  kReplicate,
  // An InstallSnapshot transfer is in progress; no MSG_APP is sent.
  kSnapshot,
};

const char* ProgressStateName(ProgressState state);

// What the leader knows about one member's log.
// Invariant: match < next.
struct Progress {
  Progress(uint64_t next_index, uint64_t max_inflight_msgs,
           uint64_t max_inflight_bytes, bool learner);

  // Forgets everything learned about the member (a new term begins): probe
  // from next_index with nothing known to match.
  void ResetForNewTerm(uint64_t next_index);
  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);

  // An acknowledgement that the follower's log matches up to index. Returns
  // whether match advanced. Inline: once per append acknowledged, and per
  // Ready the leader persists.
  bool MaybeUpdate(uint64_t index) {
    bool updated = false;
    if (match < index) {
      match = index;
      updated = true;
      msg_app_flow_paused = false;
    }
    next = std::max(next, index + 1);
    return updated;
  }
  // A rejection of the MSG_APP at `rejected`, with the follower's conflict
  // hint. Returns false for a stale rejection, else moves next back.
  bool MaybeDecrTo(uint64_t rejected, uint64_t match_hint);
  // Records a MSG_APP ending at last_index carrying `bytes`. Inline: once
  // per MSG_APP.
  void SentEntries(uint64_t last_index, uint64_t bytes, bool had_entries) {
    switch (state) {
      case ProgressState::kReplicate:
        if (had_entries) {
          next = last_index + 1;
          inflights.Add(last_index, bytes);
        }
        break;
      case ProgressState::kProbe:
        msg_app_flow_paused = true;
        break;
      case ProgressState::kSnapshot:
        RAFT_CHECK(false);
    }
  }
  // Whether no further MSG_APP may go to this member now. Inline: checked
  // before every MSG_APP.
  bool IsPaused() const {
    switch (state) {
      case ProgressState::kProbe:
        return msg_app_flow_paused;
      case ProgressState::kReplicate:
        return inflights.Full();
      case ProgressState::kSnapshot:
        return true;
    }
    return true;
  }

  // Highest index known to match the leader's log.
  uint64_t match = 0;
  // Next index to send.
  uint64_t next = 1;
  ProgressState state = ProgressState::kProbe;
  // In probe state: a MSG_APP is outstanding; cleared by a response or a
  // heartbeat response.
  bool msg_app_flow_paused = false;
  // Heard from since the last check-quorum round.
  bool recent_active = false;
  bool is_learner = false;
  // kSnapshot: the snapshot being sent, the offset the follower expects
  // next, and whether a chunk is in flight (at most one).
  uint64_t pending_snapshot_index = 0;
  uint64_t snapshot_offset_acked = 0;
  bool snapshot_chunk_in_flight = false;
  // The leader's logical tick when it last heard from this member (any
  // answer), or started sending it a snapshot: a transfer to a member
  // silent for an election timeout is abandoned (Raft::TickHeartbeat).
  uint64_t heard_tick = 0;
  // Highest heartbeat sequence number this member acknowledged, and the
  // highest sent to it: a member with an unanswered heartbeat is asked to
  // confirm a read only if no other will do (ReadIndexFanout::kQuorum).
  uint64_t heartbeat_seq_acked = 0;
  uint64_t heartbeat_seq_sent = 0;
  // A ReadIndex round that went to only some members reached this one since
  // the last tick, so the periodic heartbeat due at the next tick skips it.
  bool read_heartbeat_since_tick = false;
  // The leader's logical tick when it last heard this member answer a
  // MSG_APP, sent it one with nothing else in flight, or sent it an empty
  // one to find out why it had not answered (Raft::AppendDueOnHeartbeat).
  uint64_t append_heard_tick = 0;
  Inflights inflights;
};

class ProgressTracker {
 public:
  ProgressTracker(uint64_t max_inflight_msgs, uint64_t max_inflight_bytes);
  // The lookup lists point into progress_: a copy would point into the
  // original's.
  ProgressTracker(const ProgressTracker&) = delete;
  ProgressTracker& operator=(const ProgressTracker&) = delete;

  // Replaces the membership and resets every progress to next = next_index.
  void Reset(const ConfState& conf_state, uint64_t next_index);
  // Applies one single-server change; new members start at next_index.
  void ApplyConfChange(const ConfChange& change, uint64_t next_index);
  ConfState GetConfState() const;

  bool IsVoter(uint64_t id) const;
  bool IsLearner(uint64_t id) const;
  bool IsMember(uint64_t id) const { return Find(id) != nullptr; }

  // Highest index acknowledged by a majority of voters. Inline: once per
  // acknowledgement the leader counts.
  uint64_t Committed() const {
    return MajorityIndex(voter_progress_.size(),
                         [this](size_t i) { return voter_progress_[i]->match; });
  }
  // Whether a majority of voters (counting `self`) were recently active.
  bool QuorumActive(uint64_t self) const;
  // Highest heartbeat sequence acknowledged by a majority of voters, with
  // self counting as `self_seq`.
  uint64_t QuorumHeartbeatSeq(uint64_t self, uint64_t self_seq) const;

  void ResetVotes() { votes_.clear(); }
  void RecordVote(uint64_t id, bool granted);
  VoteResult TallyVotes() const;
  const std::map<uint64_t, bool>& votes() const { return votes_; }

  // Visits members in ascending id order.
  std::map<uint64_t, Progress>& progress() { return progress_; }
  const std::map<uint64_t, Progress>& progress() const { return progress_; }
  // nullptr if `id` is not a member. Inline: it runs several times per
  // message the leader handles.
  Progress* Find(uint64_t id) {
    return const_cast<Progress*>(std::as_const(*this).Find(id));
  }
  const Progress* Find(uint64_t id) const {
    // A binary search of a few ids beats walking the map's nodes.
    auto it = std::lower_bound(member_ids_.begin(), member_ids_.end(), id);
    if (it == member_ids_.end() || *it != id) return nullptr;
    return member_progress_[it - member_ids_.begin()];
  }
  const std::vector<uint64_t>& voters() const { return voters_; }
  const std::vector<uint64_t>& learners() const { return learners_; }

 private:
  Progress MakeProgress(uint64_t next_index, bool learner) const;
  void RebuildLists();

  uint64_t max_inflight_msgs_;
  uint64_t max_inflight_bytes_;
  std::map<uint64_t, Progress> progress_;
  // Sorted ascending, derived from progress_.
  std::vector<uint64_t> voters_;
  std::vector<uint64_t> learners_;
  // Also derived from progress_ (by RebuildLists, whenever the membership
  // changes; map nodes do not move otherwise): every member's id ascending
  // with its progress, and the progress of voters_[i].
  std::vector<uint64_t> member_ids_;
  std::vector<Progress*> member_progress_;
  std::vector<const Progress*> voter_progress_;
  std::map<uint64_t, bool> votes_;
};

}  // namespace kv::raft
