#pragma once
// RaftChecker: the Raft safety invariants across the members of one group,
// checked while a simulation runs (layer: properties). It reads what the
// harness reports and the members' state; it changes nothing.
//
// Invariants (Raft paper Figure 3, thesis 3.6 and 6.4):
// - election safety: at most one leader per term;
// - one vote granted per term per member, across crashes;
// - log matching: two persisted entries with the same index and term hold
//   the same command and follow entries of the same term;
// - leader completeness: a new leader's log holds every entry applied so far
//   that was committed in an earlier term than the leader's (a candidate
//   whose votes were delayed can win an older term after a later one
//   committed entries; Raft promises them only to leaders of later terms);
// - state machine safety: every member that applies index i has the same
//   state (a hash chain over the applied commands) there;
// - commit index never decreases (within a process, and in durable state);
// - durability of acknowledgements: a member that acknowledged entries up to
//   index i still has them after a crash, unless a leader overwrote them;
// - linearizable reads: a read is answered at an index no lower than any
//   commit index observed when the read was requested.
// The first violation is kept; later ones are counted.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "raft/raft.h"
#include "raft/raft.pb.h"

namespace kv::properties {

class RaftChecker {
 public:
  RaftChecker() = default;

  // Entries a member persisted, with the term of the entry just before the
  // first one and the member's durable last index before the write.
  void OnEntriesPersisted(uint64_t member, uint64_t prev_term,
                          const std::vector<raft::Entry>& entries,
                          uint64_t durable_last_index_before);
  // A member restarted with this durable last index.
  void OnRestart(uint64_t member, uint64_t durable_last_index);
  // A member's durable hard state after a write.
  void OnHardStatePersisted(uint64_t member, const raft::HardState& hard_state);
  // A member applied `entry`, reaching state `state_hash` at its index.
  // `member_term` is the member's term then: the entry was committed in that
  // term or an earlier one.
  void OnApplied(uint64_t member, const raft::Entry& entry, uint64_t state_hash,
                 uint64_t member_term);
  // A member installed a snapshot with state `state_hash` at `index`.
  void OnSnapshotInstalled(uint64_t member, uint64_t index, uint64_t state_hash);
  // A read was requested from / answered by a member. Read ids are unique
  // per run.
  void OnReadRequested(uint64_t read_id);
  void OnReadServed(uint64_t member, uint64_t read_id, uint64_t index);
  // A member sent a message (vote grants are checked: one per term).
  void OnMessageSent(uint64_t member, const raft::Message& message);
  // Observes one live member after an event; `incarnation` changes when the
  // member restarts.
  void ObserveMember(uint64_t member, uint64_t incarnation, const raft::Raft& raft);

  bool ok() const { return violation_count_ == 0; }
  const std::string& first_violation() const { return first_violation_; }
  uint64_t violation_count() const { return violation_count_; }
  uint64_t reads_checked() const { return reads_checked_; }
  uint64_t leaders_observed() const { return leader_by_term_.size(); }
  uint64_t max_commit_observed() const { return max_commit_observed_; }

 private:
  struct LogEntryFacts {
    uint64_t prev_term;
    uint64_t content_hash;
  };
  struct MemberFacts {
    uint64_t incarnation = 0;
    uint64_t commit = 0;
    uint64_t durable_commit = 0;
    uint64_t durable_term = 0;
    // Highest index acknowledged to a leader and not since overwritten.
    uint64_t acknowledged_index = 0;
    // Highest term of a leader whose entries overwrote a durable suffix. An
    // acknowledgement from an earlier term may leave after the overwrite (it
    // was true when generated, like one delayed by the network), so it does
    // not count.
    uint64_t overwrite_term = 0;
  };
  void Fail(std::string message);
  void CheckLeaderCompleteness(uint64_t member, const raft::Raft& raft);

  std::map<uint64_t, uint64_t> leader_by_term_;
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> vote_by_member_term_;
  std::map<std::pair<uint64_t, uint64_t>, LogEntryFacts> entries_;
  // Every applied (hence committed) entry: its term, and the lowest term of
  // a member seen applying it, which bounds the term it was committed in.
  struct CommittedEntry {
    uint64_t term = 0;
    uint64_t commit_term_bound = 0;
  };
  std::map<uint64_t, CommittedEntry> committed_entries_;
  std::map<uint64_t, uint64_t> state_hash_by_index_;
  std::map<uint64_t, MemberFacts> members_;
  std::map<uint64_t, uint64_t> read_min_index_;
  uint64_t max_commit_observed_ = 0;
  uint64_t reads_checked_ = 0;
  uint64_t violation_count_ = 0;
  std::string first_violation_;
};

// Hash of an entry's command (type and data); deterministic.
uint64_t EntryContentHash(const raft::Entry& entry);
// The state hash after applying `entry` to a state with hash `previous`.
uint64_t NextStateHash(uint64_t previous, const raft::Entry& entry);

}  // namespace kv::properties
