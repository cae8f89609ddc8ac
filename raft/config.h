#pragma once
// Configuration of one Raft group member (layer: raft/). Every knob states its
// unit, default and constraints; Validate() enforces the constraints and
// Raft::Create refuses an invalid config. docs/raft.md lists the same table.

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kv::raft {

// Deliberately injectable protocol bugs ("teeth"), used only by tests and the
// simulator's --bug flag to prove that the invariant checkers find real bugs.
// A bitmask; kNone (the default) is the correct protocol.
enum RaftBugs : uint32_t {
  kNone = 0,
  // A candidate counts vote responses without checking which election they
  // answer: grants from earlier terms, and pre-vote grants for its term
  // (which promise nothing), count as votes.
  kCountVotesFromWrongTerm = 1u << 0,
  // The vote is left out of the hard state handed to the host, so it is not
  // persisted and a restarted node may vote twice in one term.
  kForgetToPersistVote = 1u << 1,
  // The leader commits by counting replicas even when the entry at the quorum
  // index is from an older term (the Figure 8 bug, Raft paper section 5.4.2).
  kCommitOldTermByCounting = 1u << 2,
  // A leader serves lease reads without checking that its lease is still
  // valid, so a deposed leader serves stale reads.
  kServeLeaseReadWhenDeposed = 1u << 3,
  // A follower acknowledges appended entries before they are persisted.
  kAckBeforePersist = 1u << 4,
};

// Parses a bug name as spelled in RaftBugName (e.g. "count-votes-wrong-term").
// Errors: kInvalidArgument for an unknown name.
[[nodiscard]] absl::StatusOr<RaftBugs> ParseRaftBug(std::string_view name);
// The command-line name of a single bug.
std::string_view RaftBugName(RaftBugs bug);
// All single bugs, in ascending bit order.
inline constexpr RaftBugs kAllRaftBugs[] = {
    kCountVotesFromWrongTerm, kForgetToPersistVote, kCommitOldTermByCounting,
    kServeLeaseReadWhenDeposed, kAckBeforePersist};

enum class ReadOnlyOption {
  // ReadIndex confirms leadership with a quorum heartbeat round per read.
  kSafe,
  // The leader answers from its lease when the lease is valid, else falls
  // back to kSafe. Requires check_quorum and max_clock_drift_ticks >= 1.
  kLeaseBased,
};

enum class ReadIndexFanout {
  // A ReadIndex round goes to just enough voters to make a quorum with the
  // leader (one follower of two, two of four): those that answered their
  // last heartbeat first, least recently asked first among them. Half the
  // messages of a read in a 3-member group. A read whose follower does not
  // answer is confirmed by a later round: the next read's, which goes to
  // another follower, or the next periodic heartbeat, at most a tick later;
  // or by the answer to any append sent after it (in either mode, appends
  // sent while reads wait carry the latest round).
  kQuorum,
  // Every member, as etcd does: the fastest quorum of answers confirms, so
  // one slow follower never delays a read.
  kAllMembers,
};

// Config::max_entry_cache_bytes's default, also RaftLog's.
inline constexpr uint64_t kDefaultMaxEntryCacheBytes = 4 << 20;

struct Config {
  // This member's id. Constraint: != 0.
  uint64_t id = 0;

  // Ticks a follower waits without hearing from a leader before it campaigns.
  // The effective timeout is drawn uniformly from [election, 2*election).
  // Default 10. Constraint: > heartbeat_timeout_ticks.
  int election_timeout_ticks = 10;
  // Ticks between leader heartbeats. Default 1. Constraint: >= 1.
  int heartbeat_timeout_ticks = 1;

  // Pre-vote (thesis 9.6): a candidate first asks whether it could win
  // without bumping its term. Default on.
  bool pre_vote = true;
  // Check-quorum (thesis 6.2): a leader that has not heard from a quorum in an
  // election timeout steps down, and followers that heard from a leader
  // within the election timeout ignore (pre-)vote requests. Default on.
  bool check_quorum = true;
  // When the commit index advances, send every follower an append at once,
  // an empty one if need be, just to carry the new index (etcd does this).
  // Off: a follower learns it from the next append with entries or the next
  // heartbeat, at most heartbeat_timeout_ticks later. That saves an append
  // and its reply per follower per commit when proposals are sparse; only
  // followers' applying lags, never the leader's commit or its replies.
  // Default on.
  bool broadcast_commit = true;

  // Upper bound on the entry bytes in one MSG_APP; at least one entry is
  // always sent. 0 = unlimited. Default 1 MiB.
  uint64_t max_size_per_msg_bytes = 1 << 20;
  // Maximum MSG_APPs in flight to one follower in replicate state.
  // Default 256. Constraint: >= 1.
  uint64_t max_inflight_msgs = 256;
  // Maximum entry bytes in flight to one follower. 0 = unlimited. Default 0.
  // Constraint: 0 or >= max_size_per_msg_bytes.
  uint64_t max_inflight_bytes = 0;
  // Maximum bytes of proposed but not yet committed entry data on a leader;
  // further proposals get kResourceExhausted. 0 = unlimited. Default 0.
  uint64_t max_uncommitted_entries_size_bytes = 0;
  // Maximum bytes of committed entries handed out in one Ready (at least one
  // entry). 0 = unlimited. Default 0.
  uint64_t max_committed_size_per_ready_bytes = 0;

  // Bound on the entries kept in memory between an entry's persistence and
  // its handing out for applying (RaftLogEntryCache), so that committed
  // entries, and the stored ones a slightly lagging follower is sent, are
  // not read back from storage: their data plus a fixed per-entry overhead
  // (RaftLogEntryCache::kEntryOverheadBytes). Past it the oldest are dropped
  // and read from storage instead. 0 = no cache (every such read goes to
  // storage). Default 4 MiB: the steady state holds a few entries per
  // member (those persisted but not yet committed); only a backlog of
  // large entries fills it.
  uint64_t max_entry_cache_bytes = kDefaultMaxEntryCacheBytes;

  // Size of one InstallSnapshot chunk. Default 64 KiB. Constraint: >= 1.
  uint64_t snapshot_chunk_size_bytes = 64 << 10;

  ReadOnlyOption read_only_option = ReadOnlyOption::kSafe;
  // Who a ReadIndex heartbeat round goes to (also a lease-renewing round).
  ReadIndexFanout read_index_fanout = ReadIndexFanout::kQuorum;
  // Bound on how far two members' tick rates can drift apart over one
  // election timeout, in ticks; a lease lasts election_timeout_ticks minus
  // this. Used only with kLeaseBased. Constraint there: 1 <= drift <
  // election_timeout_ticks.
  int max_clock_drift_ticks = 0;
  // Maximum ReadIndex requests waiting on a leader. Default 4096.
  uint64_t max_pending_read_requests = 4096;

  // A learner may be promoted only once its match index is within this many
  // entries of the leader's commit index. Default 0 (fully caught up).
  uint64_t learner_promotion_max_lag_entries = 0;

  // Injected bugs; kNone in production. See RaftBugs.
  uint32_t bugs = kNone;

  bool HasBug(RaftBugs bug) const { return (bugs & bug) != 0; }

  // Errors: kInvalidArgument naming the offending field, value and limit.
  [[nodiscard]] absl::Status Validate() const;
};

}  // namespace kv::raft
