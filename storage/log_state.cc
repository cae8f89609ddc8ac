#include "storage/log_state.h"

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::storage {

absl::Status LogState::CheckAnyWrite(const LogWrite& write, AppendPlan& plan) const {
  if (write.hard_state.has_value()) {
    // Terms and the commit index only grow (Raft paper, 5.1 and 5.3); a
    // write that lowers them is a bug in the caller and must not persist.
    if (write.hard_state->term < hard_state_.term) {
      return absl::InvalidArgumentError(absl::StrCat("hard state term ", write.hard_state->term,
                                                     " below stored term ", hard_state_.term));
    }
    if (write.hard_state->commit < hard_state_.commit) {
      return absl::InvalidArgumentError(absl::StrCat("hard state commit ",
                                                     write.hard_state->commit,
                                                     " below stored commit ", hard_state_.commit));
    }
  }
  const auto& entries = write.entries;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].index == 0) return absl::InvalidArgumentError("entry index 0");
    if (i > 0 && entries[i].index != entries[i - 1].index + 1) {
      return absl::InvalidArgumentError(absl::StrCat("entries not contiguous: ",
                                                     entries[i - 1].index, " then ",
                                                     entries[i].index));
    }
    if (i > 0 && entries[i].term < entries[i - 1].term) {
      return absl::InvalidArgumentError(absl::StrCat("entry ", entries[i].index, " has term ",
                                                     entries[i].term, " below its predecessor's ",
                                                     entries[i - 1].term));
    }
  }
  plan = PlanWrite(write);
  const size_t skipped = plan.skipped_count;
  if (skipped == entries.size()) return absl::OkStatus();
  const LogEntry& first = entries[skipped];
  if (first.index > LastIndex() + 1) {
    return absl::InvalidArgumentError(absl::StrCat("entry ", first.index,
                                                   " would leave a gap after last index ",
                                                   LastIndex()));
  }
  if (first.index <= snapshot_.metadata.index) {
    // Only committed entries are covered by a snapshot, and Raft never
    // replaces a committed entry (Log Matching, paper 5.3).
    return absl::InvalidArgumentError(absl::StrCat("entry ", first.index,
                                                   " would replace an entry covered by the "
                                                   "snapshot at ",
                                                   snapshot_.metadata.index));
  }
  const uint64_t previous_term = *Term(first.index - 1);
  if (first.term < previous_term) {
    return absl::InvalidArgumentError(absl::StrCat("entry ", first.index, " has term ", first.term,
                                                   " below the stored predecessor's ",
                                                   previous_term));
  }
  return absl::OkStatus();
}

AppendPlan LogState::PlanWrite(const LogWrite& write) const {
  AppendPlan plan;
  while (plan.skipped_count < write.entries.size() &&
         write.entries[plan.skipped_count].index <= base_.index) {
    ++plan.skipped_count;
  }
  if (plan.skipped_count < write.entries.size()) {
    plan.truncate_from = write.entries[plan.skipped_count].index;
    plan.truncate_to = LastIndex();
  }
  return plan;
}

void LogState::ApplyAnyWrite(const LogWrite& write, const AppendPlan& plan) {
  if (write.hard_state.has_value()) hard_state_ = *write.hard_state;
  if (plan.truncate_from <= plan.truncate_to) {
    terms_.resize(terms_begin_ + (plan.truncate_from - base_.index - 1));
  }
  for (size_t i = plan.skipped_count; i < write.entries.size(); ++i) AppendTerm(write.entries[i]);
  KV_DCHECK((CheckInvariants(), true));
}

absl::Status LogState::CheckSnapshot(const SnapshotMetadata& metadata) const {
  if (metadata.index <= snapshot_.metadata.index) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot at index ", metadata.index,
                                                      " is not newer than the stored one at ",
                                                      snapshot_.metadata.index));
  }
  return absl::OkStatus();
}

bool LogState::SnapshotKeepsLog(const SnapshotMetadata& metadata) const {
  if (metadata.index <= base_.index || metadata.index > LastIndex()) return false;
  return *Term(metadata.index) == metadata.term;
}

void LogState::ApplySnapshot(const StoredSnapshotMetadata& stored) {
  if (!SnapshotKeepsLog(stored.metadata)) {
    terms_.clear();
    terms_begin_ = 0;
    base_ = LogBase{stored.metadata.index, stored.metadata.term};
  }
  snapshot_ = stored;
  KV_DCHECK((CheckInvariants(), true));
}

absl::Status LogState::CheckCompact(uint64_t index) const {
  if (index > snapshot_.metadata.index) {
    return absl::FailedPreconditionError(absl::StrCat("cannot compact to ", index,
                                                      ": the snapshot only covers up to ",
                                                      snapshot_.metadata.index));
  }
  return absl::OkStatus();
}

LogBase LogState::PlanCompact(uint64_t index) const {
  if (index <= base_.index) return base_;
  // index <= snapshot index <= LastIndex() is guaranteed only while the
  // snapshot is local; a received snapshot moved the base to its index.
  return LogBase{index, *Term(index)};
}

void LogState::ApplyCompact(uint64_t index) {
  const LogBase new_base = PlanCompact(index);
  if (new_base.index > base_.index) {
    const uint64_t dropped = new_base.index - base_.index;
    KV_CHECK_LE(dropped, TermCount());
    terms_begin_ += dropped;
    if (terms_begin_ >= terms_.size() - terms_begin_) {
      terms_.erase(terms_.begin(), terms_.begin() + static_cast<int64_t>(terms_begin_));
      terms_begin_ = 0;
    }
  }
  base_ = new_base;
  KV_DCHECK((CheckInvariants(), true));
}

void LogState::RecoverBase(const LogBase& base) {
  KV_CHECK_EQ(TermCount(), 0u);
  base_ = base;
}

absl::Status LogState::RecoverEntry(uint64_t index, uint64_t term) {
  if (index != LastIndex() + 1) {
    return absl::DataLossError(absl::StrCat("stored log has a hole: entry ", index,
                                            " follows last index ", LastIndex()));
  }
  const uint64_t previous_term = TermCount() == 0 ? base_.term : terms_.back();
  if (term < previous_term) {
    return absl::DataLossError(absl::StrCat("stored entry ", index, " has term ", term,
                                            " below its predecessor's ", previous_term));
  }
  terms_.push_back(term);
  return absl::OkStatus();
}

absl::Status LogState::RangeOutOfRange(uint64_t lo, uint64_t hi) const {
  if (lo < FirstIndex()) {
    return absl::OutOfRangeError(absl::StrCat("entries from ", lo, " compacted; first index is ",
                                              FirstIndex()));
  }
  KV_CHECK(hi > LastIndex() + 1 || lo > hi);
  return absl::OutOfRangeError(absl::StrCat("entries [", lo, ", ", hi, ") beyond last index ",
                                            LastIndex()));
}

absl::Status LogState::TermOutOfRange(uint64_t index) const {
  if (index < base_.index) {
    return absl::OutOfRangeError(absl::StrCat("term of ", index, " compacted; base is ",
                                              base_.index));
  }
  return absl::OutOfRangeError(absl::StrCat("term of ", index, " beyond last index ",
                                            LastIndex()));
}


}  // namespace kv::storage
