#include "raft/config.h"

#include <fmt/format.h>

namespace kv::raft {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<RaftBugs> ParseRaftBug(std::string_view name) {
  for (RaftBugs bug : kAllRaftBugs) {
    if (RaftBugName(bug) == name) return bug;
  }
  std::string known;
  for (RaftBugs bug : kAllRaftBugs) {
    if (!known.empty()) known += ", ";
    known += RaftBugName(bug);
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown raft bug '{}'; known: {}", name, known));
}

std::string_view RaftBugName(RaftBugs bug) {
  switch (bug) {
    case kNone:
      return "none";
    case kCountVotesFromWrongTerm:
      return "count-votes-wrong-term";
    case kForgetToPersistVote:
      return "forget-persist-vote";
    case kCommitOldTermByCounting:
      return "commit-old-term";
    case kServeLeaseReadWhenDeposed:
      return "stale-lease-read";
    case kAckBeforePersist:
      return "ack-before-persist";
  }
  return "unknown";
}

absl::Status Config::Validate() const {
  if (id == 0) return Invalid("config: id must not be 0");
  if (heartbeat_timeout_ticks < 1) {
    return Invalid(fmt::format("config: heartbeat_timeout_ticks {} < 1",
                               heartbeat_timeout_ticks));
  }
  if (election_timeout_ticks <= heartbeat_timeout_ticks) {
    return Invalid(fmt::format(
        "config: election_timeout_ticks {} must exceed heartbeat_timeout_ticks {}",
        election_timeout_ticks, heartbeat_timeout_ticks));
  }
  if (max_inflight_msgs < 1) {
    return Invalid("config: max_inflight_msgs must be >= 1");
  }
  if (max_inflight_bytes != 0 && max_inflight_bytes < max_size_per_msg_bytes) {
    return Invalid(fmt::format(
        "config: max_inflight_bytes {} < max_size_per_msg_bytes {}",
        max_inflight_bytes, max_size_per_msg_bytes));
  }
  if (snapshot_chunk_size_bytes < 1) {
    return Invalid("config: snapshot_chunk_size_bytes must be >= 1");
  }
  if (max_pending_read_requests < 1) {
    return Invalid("config: max_pending_read_requests must be >= 1");
  }
  if (read_only_option == ReadOnlyOption::kLeaseBased) {
    if (!check_quorum) {
      return Invalid("config: lease-based reads require check_quorum");
    }
    if (max_clock_drift_ticks < 1 ||
        max_clock_drift_ticks >= election_timeout_ticks) {
      return Invalid(fmt::format(
          "config: lease-based reads need 1 <= max_clock_drift_ticks ({}) < "
          "election_timeout_ticks ({})",
          max_clock_drift_ticks, election_timeout_ticks));
    }
  }
  return absl::OkStatus();
}

}  // namespace kv::raft
