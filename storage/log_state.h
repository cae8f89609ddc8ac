#pragma once
// LogState: the in-memory bookkeeping of a stored Raft log, shared by every
// LogStorage backend so that they validate and interpret writes identically.
// Layer: storage/. Pure: no I/O.
//
// A backend validates a write with Check*(), persists it, then calls
// Apply*() to update this state. On open it rebuilds the state with Recover*().

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/env/check.h"
#include "storage/records.h"
#include "storage/types.h"

namespace kv::storage {

// What persisting a LogWrite must change in the stored entries.
struct AppendPlan {
  // Leading entries of the write that are at or below the base: skipped.
  size_t skipped_count = 0;
  // Stored entries in [truncate_from, truncate_to] are removed first (the
  // conflicting suffix). Empty range when truncate_from > truncate_to.
  uint64_t truncate_from = 1;
  uint64_t truncate_to = 0;
};

class LogState {
 public:
  // Validates `write` against the current log. Errors: kInvalidArgument
  // (see LogStorage::Write).
  [[nodiscard]] absl::Status CheckWrite(const LogWrite& write) const {
    AppendPlan plan;
    return CheckWrite(write, plan);
  }
  // The same, setting `plan` to PlanWrite(write) when OK: the check needs
  // the plan, and writers need it next. Inline in the usual case, a valid
  // write of one entry past the base (CheckUsualWrite): every log write is
  // checked here, and the call to the general check, whose error paths
  // make a large frame, cost more than the checks themselves.
  [[nodiscard]] absl::Status CheckWrite(const LogWrite& write, AppendPlan& plan) const {
    if (CheckUsualWrite(write, plan)) [[likely]] return absl::OkStatus();
    return CheckAnyWrite(write, plan);
  }
  // Precondition: CheckWrite(write) is OK.
  AppendPlan PlanWrite(const LogWrite& write) const;
  void ApplyWrite(const LogWrite& write) { ApplyWrite(write, PlanWrite(write)); }
  // The same with the plan the caller already made. Precondition: `plan` is
  // PlanWrite(write) on the current state.
  // Inline in the usual case, one entry appended after the last (as
  // CheckWrite's, and for the same reason).
  void ApplyWrite(const LogWrite& write, const AppendPlan& plan) {
    if (write.entries.size() == 1 && plan.skipped_count == 0 &&
        plan.truncate_from == LastIndex() + 1) [[likely]] {
      if (write.hard_state.has_value()) hard_state_ = *write.hard_state;
      AppendTerm(write.entries.front());
      KV_DCHECK((CheckInvariants(), true));
      return;
    }
    ApplyAnyWrite(write, plan);
  }

  // Errors: kFailedPrecondition if not newer than the stored snapshot.
  [[nodiscard]] absl::Status CheckSnapshot(const SnapshotMetadata& metadata) const;
  // Whether a snapshot keeps the entries (a local snapshot: the log holds its
  // index with its term) or replaces the whole log.
  bool SnapshotKeepsLog(const SnapshotMetadata& metadata) const;
  void ApplySnapshot(const StoredSnapshotMetadata& stored);

  // Errors: kFailedPrecondition if index > snapshot index.
  [[nodiscard]] absl::Status CheckCompact(uint64_t index) const;
  // The base after Compact(index). Precondition: CheckCompact(index) is OK.
  LogBase PlanCompact(uint64_t index) const;
  void ApplyCompact(uint64_t index);

  // Recovery: rebuilds the state from stored records, in this order: base,
  // hard state and snapshot in any order, then entries ascending.
  void RecoverBase(const LogBase& base);
  void RecoverHardState(const HardState& hard_state) { hard_state_ = hard_state; }
  void RecoverSnapshot(const StoredSnapshotMetadata& stored) { snapshot_ = stored; }
  // Errors: kDataLoss if the entry is not the one after LastIndex().
  [[nodiscard]] absl::Status RecoverEntry(uint64_t index, uint64_t term);

  // Errors: kOutOfRange (see LogStorage::Entries).
  [[nodiscard]] absl::Status CheckRange(uint64_t lo, uint64_t hi) const {
    if (lo >= FirstIndex() && hi <= LastIndex() + 1 && lo <= hi) [[likely]] {
      return absl::OkStatus();
    }
    return RangeOutOfRange(lo, hi);
  }

  const LogBase& base() const { return base_; }
  uint64_t FirstIndex() const { return base_.index + 1; }
  uint64_t LastIndex() const { return base_.index + TermCount(); }
  // Errors: kOutOfRange if index < base().index or index > LastIndex().
  [[nodiscard]] absl::StatusOr<uint64_t> Term(uint64_t index) const {
    // Stored entries first, the common case; for index <= base_.index the
    // offset wraps around and fails the comparison.
    const uint64_t offset = index - base_.index - 1;
    if (offset < TermCount()) return terms_[terms_begin_ + offset];
    if (index == base_.index) return base_.term;
    return TermOutOfRange(index);
  }
  const HardState& hard_state() const { return hard_state_; }
  const StoredSnapshotMetadata& snapshot() const { return snapshot_; }

  // Checks the invariants; aborts on a violation (a bug, not bad input).
  // Cheap on purpose (it runs after every write): the terms between front
  // and back are kept non-decreasing by ApplyWrite's per-entry check.
  // Inline: a call per write cost a third of it.
  void CheckInvariants() const {
    KV_CHECK_GE(snapshot_.metadata.index, base_.index);
    KV_CHECK_LE(terms_begin_, terms_.size());
    if (TermCount() != 0) {
      KV_CHECK_GE(terms_[terms_begin_], base_.term);
      KV_CHECK_GE(terms_.back(), terms_[terms_begin_]);
    }
  }

 private:
  // CheckWrite's usual case: true, with `plan` set, if `write` holds one
  // entry past the base and passes every check of CheckAnyWrite, which
  // would then return OK with the same plan; false (and `plan` untouched)
  // for anything else, which CheckAnyWrite decides.
  bool CheckUsualWrite(const LogWrite& write, AppendPlan& plan) const {
    if (write.hard_state.has_value() && (write.hard_state->term < hard_state_.term ||
                                         write.hard_state->commit < hard_state_.commit)) {
      return false;
    }
    if (write.entries.size() != 1) return false;
    const LogEntry& entry = write.entries.front();
    // Past the base (so not index 0, and none skipped), no gap, and not
    // covered by the snapshot.
    if (entry.index <= base_.index || entry.index > LastIndex() + 1 ||
        entry.index <= snapshot_.metadata.index) {
      return false;
    }
    // Term(entry.index - 1), which the checks above keep in range.
    const uint64_t previous_term = entry.index - 1 == base_.index
                                       ? base_.term
                                       : terms_[terms_begin_ + (entry.index - 2 - base_.index)];
    if (entry.term < previous_term) return false;
    plan = AppendPlan{0, entry.index, LastIndex()};
    return true;
  }
  // Appends `entry`'s term. Precondition (checked): it is the entry after
  // the last, with a term no lower than the last's.
  void AppendTerm(const LogEntry& entry) {
    KV_CHECK_EQ(entry.index, LastIndex() + 1);
    KV_CHECK_GE(entry.term, TermCount() == 0 ? base_.term : terms_.back());
    terms_.push_back(entry.term);
  }
  // ApplyWrite for any write: the usual case again, truncations, skipped
  // entries, several entries or none.
  void ApplyAnyWrite(const LogWrite& write, const AppendPlan& plan);
  // CheckWrite for any write: the usual case again, and every error.
  [[nodiscard]] absl::Status CheckAnyWrite(const LogWrite& write, AppendPlan& plan) const;
  size_t TermCount() const { return terms_.size() - terms_begin_; }
  // Term's error for an index outside [base_.index, LastIndex()]; out of
  // line, so that Term itself stays a few instructions.
  absl::Status TermOutOfRange(uint64_t index) const;
  // CheckRange's error, out of line likewise.
  absl::Status RangeOutOfRange(uint64_t lo, uint64_t hi) const;

  LogBase base_;
  // terms_[terms_begin_ + i] is the term of entry base_.index + 1 + i; the
  // slots before terms_begin_ are dead (compacted). A vector with a moving
  // start rather than a std::deque: Term() and LastIndex() run on every
  // Raft log lookup, and a deque's size and indexing cost several times
  // more. Compaction erases the dead prefix once it is half the vector, so
  // memory stays bounded and each term moves O(1) times amortized.
  // Invariant: the live terms are non-decreasing, the first >= base_.term;
  // terms_begin_ <= terms_.size().
  std::vector<uint64_t> terms_;
  size_t terms_begin_ = 0;
  HardState hard_state_;
  // Invariant: snapshot_.metadata.index >= base_.index.
  StoredSnapshotMetadata snapshot_;
};

}  // namespace kv::storage
