// Raft core: single-server membership changes with learners (thesis 4.1,
// 4.2.1), made safe against the single-server change bug (raft-dev, 2015):
// a leader proposes a change only after committing an entry of its own term,
// one change at a time, effective when applied; and leadership transfer
// (thesis 3.10).
#include <fmt/format.h>

#include "raft/raft.h"
#include "raft/raft_check.h"

namespace kv::raft {

absl::Status Raft::ProposeConfChange(const ConfChange& change) {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: not leader (leader hint {})", id_, lead_));
  }
  if (lead_transferee_ != 0) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: leadership transfer to {} in progress", id_, lead_transferee_));
  }
  if (pending_conf_index_ > log_.applied()) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: conf change at index {} not applied yet (applied {})", id_,
        pending_conf_index_, log_.applied()));
  }
  if (!CommittedEntryInCurrentTerm()) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: no entry of term {} committed yet", id_, term_));
  }
  const uint64_t node = change.node_id();
  if (node == 0) return absl::InvalidArgumentError("conf change: node id 0");
  switch (change.type()) {
    case CONF_CHANGE_ADD_LEARNER:
      if (tracker_.IsMember(node)) {
        return absl::InvalidArgumentError(
            fmt::format("conf change: {} is already a member", node));
      }
      break;
    case CONF_CHANGE_ADD_VOTER: {
      if (tracker_.IsVoter(node)) {
        return absl::InvalidArgumentError(
            fmt::format("conf change: {} is already a voter", node));
      }
      if (!tracker_.IsLearner(node)) {
        return absl::InvalidArgumentError(fmt::format(
            "conf change: add {} as a learner first so it can catch up", node));
      }
      const Progress* progress = tracker_.Find(node);
      const uint64_t lag_limit = config_.learner_promotion_max_lag_entries;
      if (progress->match + lag_limit < log_.committed()) {
        return absl::FailedPreconditionError(fmt::format(
            "conf change: learner {} at match {} lags commit {} by more than {}",
            node, progress->match, log_.committed(), lag_limit));
      }
      break;
    }
    case CONF_CHANGE_REMOVE_NODE:
      if (!tracker_.IsMember(node)) {
        return absl::InvalidArgumentError(
            fmt::format("conf change: {} is not a member", node));
      }
      if (tracker_.IsVoter(node) && tracker_.voters().size() == 1) {
        return absl::InvalidArgumentError(
            fmt::format("conf change: cannot remove the last voter {}", node));
      }
      break;
    default:
      return absl::InvalidArgumentError(fmt::format(
          "conf change: unknown type {}", static_cast<int>(change.type())));
  }
  Entry entry;
  entry.set_type(ENTRY_CONF_CHANGE);
  entry.set_data(change.SerializeAsString());
  absl::Status appended = AppendEntries({entry});
  if (!appended.ok()) return appended;
  pending_conf_index_ = log_.LastIndex();
  BroadcastAppend();
  return absl::OkStatus();
}

ConfState Raft::ApplyConfChange(const ConfChange& change) {
  tracker_.ApplyConfChange(change, log_.LastIndex() + 1);
  if (role_ == Role::kLeader) {
    if (!tracker_.IsVoter(id_)) {
      // A leader removed from the voters steps down once the change is
      // applied; the remaining voters elect a new leader.
      BecomeFollower(term_, 0);
    } else {
      if (lead_transferee_ != 0 && !tracker_.IsVoter(lead_transferee_)) {
        AbortLeaderTransfer();
      }
      // A smaller quorum may commit more, and may confirm pending reads.
      if (MaybeCommit()) OnCommitAdvanced();
      BroadcastAppend();
      ReleaseReads();
    }
  }
  return tracker_.GetConfState();
}

absl::Status Raft::TransferLeadership(uint64_t target) {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: not leader (leader hint {})", id_, lead_));
  }
  if (target == id_) return absl::OkStatus();
  if (!tracker_.IsVoter(target)) {
    return absl::InvalidArgumentError(
        fmt::format("transfer: {} is not a voter", target));
  }
  if (lead_transferee_ == target) return absl::OkStatus();
  lead_transferee_ = target;
  // The transfer must finish within one election timeout.
  election_elapsed_ticks_ = 0;
  const Progress* progress = tracker_.Find(target);
  if (progress->match == log_.LastIndex()) {
    SendTimeoutNow(target);
  } else {
    SendAppend(target);
  }
  return absl::OkStatus();
}

}  // namespace kv::raft
