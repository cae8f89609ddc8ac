#include "raft/raft_log.h"

#include <algorithm>

#include <fmt/format.h>

#include "raft/raft_check.h"
#include "raft/unknown_fields.h"

namespace kv::raft {

RaftLog::RaftLog(const LogStorage* storage, uint64_t max_entry_cache_bytes)
    : storage_(storage), entry_cache_(max_entry_cache_bytes) {
  RAFT_CHECK(storage != nullptr);
  unstable_offset_ = storage->LastIndex() + 1;
  unstable_offset_in_progress_ = unstable_offset_;
  committed_ = storage->FirstIndex() - 1;
  applying_ = committed_;
  applied_ = committed_;
}

uint64_t RaftLog::FirstIndex() const {
  if (unstable_snapshot_) return unstable_snapshot_->metadata().index() + 1;
  return storage_->FirstIndex();
}

uint64_t RaftLog::LastTerm() const {
  absl::StatusOr<uint64_t> term = Term(LastIndex());
  RAFT_CHECK(term.ok());
  return *term;
}

absl::StatusOr<uint64_t> RaftLog::TermSlow(uint64_t index) const {
  if (index >= unstable_offset_) {
    if (index > LastIndex()) {
      return absl::OutOfRangeError(fmt::format(
          "term: index {} beyond last index {}", index, LastIndex()));
    }
    return unstable_entries_[index - unstable_offset_].term();
  }
  if (unstable_snapshot_) {
    if (index == unstable_snapshot_->metadata().index()) {
      return unstable_snapshot_->metadata().term();
    }
    return absl::OutOfRangeError(fmt::format(
        "term: index {} below pending snapshot {}", index,
        unstable_snapshot_->metadata().index()));
  }
  if (IsLastStableIndex(index)) return last_stable_term_;
  return storage_->Term(index);
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t last_term) const {
  const uint64_t our_last_term = LastTerm();
  return last_term > our_last_term ||
         (last_term == our_last_term && last_index >= LastIndex());
}

uint64_t RaftLog::Append(std::vector<Entry> entries) {
  if (entries.empty()) return LastIndex();
  PrepareAppend(entries.front().index());
  for (Entry& entry : entries) unstable_entries_.PushMove(std::move(entry));
  return LastIndex();
}

uint64_t RaftLog::AppendNormal(uint64_t term, std::string data) {
  const uint64_t index = LastIndex() + 1;
  PrepareAppend(index);
  // Every field is set over what a spare held, unless it holds unknown
  // fields, which only Clear() drops. The fields are set in the order
  // Raft::AppendEntries sets them on a new entry; the serialized bytes do
  // not depend on it.
  Entry& entry = unstable_entries_.PushSpare();
  if (HasUnknownFields(entry)) entry.Clear();
  entry.set_type(ENTRY_NORMAL);
  entry.set_data(std::move(data));
  entry.set_term(term);
  entry.set_index(index);
  return index;
}

void RaftLog::PrepareTruncatingAppend(uint64_t first) {
  RAFT_CHECK_LE(first, LastIndex() + 1);
  if (first <= unstable_offset_) {
    // Replaces everything unstable, and the stable suffix from `first`.
    RAFT_CHECK(!unstable_snapshot_ ||
               first > unstable_snapshot_->metadata().index());
    unstable_offset_ = first;
    unstable_offset_in_progress_ = first;
    unstable_entries_.Clear();
    // The stored entries from `first` are being replaced: their cached
    // copies are stale.
    entry_cache_.TruncateFrom(first);
    return;
  }
  // Truncates inside the unstable entries.
  unstable_entries_.Truncate(first - unstable_offset_);
  unstable_offset_in_progress_ = std::min(unstable_offset_in_progress_, first);
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t index,
                                                          uint64_t term) const {
  for (; index > 0; --index) {
    absl::StatusOr<uint64_t> our_term = Term(index);
    // Unknown (compacted): assume a possible match, with an unknown term.
    if (!our_term.ok()) return {index, 0};
    if (*our_term <= term) return {index, *our_term};
  }
  return {0, 0};
}

absl::StatusOr<std::vector<Entry>> RaftLog::Slice(uint64_t lo, uint64_t hi,
                                                  uint64_t max_bytes) const {
  std::vector<Entry> result;
  absl::Status status = SliceTo(lo, hi, max_bytes, result);
  if (!status.ok()) return status;
  return result;
}

std::vector<Entry> RaftLog::TakeCommittedEntries(uint64_t max_bytes) {
  std::vector<Entry> entries;
  TakeCommittedEntriesInto(max_bytes, entries);
  return entries;
}

void RaftLog::TakeCommittedEntriesFromStorage(uint64_t lo, uint64_t hi, uint64_t max_bytes,
                                              std::vector<Entry>& out) {
  // This is Slice's storage read alone (the same call), without its
  // bookkeeping for unstable entries.
  RAFT_CHECK_GE(lo, FirstIndex());
  const absl::Status read = storage_->EntriesInto(lo, hi, max_bytes, out);
  RAFT_CHECK(read.ok());
  if (!out.empty()) applying_ = out.back().index();
  // Those of them the cache holds were handed out.
  entry_cache_.DropThrough(applying_);
}

std::vector<Entry> RaftLog::TakeUnstableEntries() {
  std::vector<Entry> result;
  TakeUnstableEntriesInto(result);
  return result;
}

std::optional<Snapshot> RaftLog::TakeUnstableSnapshot() {
  if (!HasUnstableSnapshotToPersist()) return std::nullopt;
  unstable_snapshot_in_progress_ = true;
  return unstable_snapshot_;
}

void RaftLog::StableSnapshotTo(uint64_t index) {
  if (!unstable_snapshot_ || unstable_snapshot_->metadata().index() != index) {
    return;
  }
  unstable_snapshot_.reset();
  unstable_snapshot_in_progress_ = false;
  applying_ = std::max(applying_, index);
  applied_ = std::max(applied_, index);
}

void RaftLog::Restore(Snapshot snapshot) {
  const uint64_t index = snapshot.metadata().index();
  RAFT_CHECK_GT(index, committed_);
  unstable_entries_.Clear();
  unstable_offset_ = index + 1;
  unstable_offset_in_progress_ = unstable_offset_;
  // The stored entries below are to be replaced by the snapshot.
  last_stable_index_ = UINT64_MAX;
  entry_cache_.Clear();
  unstable_snapshot_ = std::move(snapshot);
  unstable_snapshot_in_progress_ = false;
  committed_ = index;
}

void RaftLog::CheckInvariants() const {
  RAFT_CHECK_LE(applied_, applying_);
  RAFT_CHECK_LE(applying_, committed_);
  RAFT_CHECK_LE(committed_, LastIndex());
  RAFT_CHECK_LE(unstable_offset_, unstable_offset_in_progress_);
  // Compaction never passes the applied index, and a conflicting append
  // never truncates at or below the commit index (PrepareAppend).
  RAFT_CHECK_LE(FirstIndex(), unstable_offset_);
  RAFT_CHECK_LE(unstable_offset_in_progress_,
                unstable_offset_ + unstable_entries_.size());
  if (unstable_snapshot_) {
    RAFT_CHECK_EQ(unstable_offset_, unstable_snapshot_->metadata().index() + 1);
  }
  // The remembered term is the stored one.
  if (IsLastStableIndex(last_stable_index_) && !unstable_snapshot_) {
    const absl::StatusOr<uint64_t> stored = storage_->Term(last_stable_index_);
    RAFT_CHECK(stored.ok());
    RAFT_CHECK_EQ(*stored, last_stable_term_);
  }
  // The cache holds the stored entries just below the unstable ones, not
  // yet handed out, with the stored terms.
  if (!entry_cache_.empty()) {
    RAFT_CHECK_EQ(entry_cache_.last_index(), PersistedIndex());
    RAFT_CHECK_GT(entry_cache_.first_index(), applying_);
    for (uint64_t i = entry_cache_.first_index(); i <= entry_cache_.last_index(); ++i) {
      RAFT_CHECK_EQ(entry_cache_.at(i).index(), i);
      const absl::StatusOr<uint64_t> stored = storage_->Term(i);
      RAFT_CHECK(stored.ok());
      RAFT_CHECK_EQ(*stored, entry_cache_.at(i).term());
    }
  }
  RAFT_CHECK_LE(entry_cache_.bytes(), entry_cache_.max_bytes());
#if RAFT_DCHECK_IS_ON
  for (size_t i = 0; i < unstable_entries_.size(); ++i) {
    RAFT_DCHECK_EQ(unstable_entries_[i].index(), unstable_offset_ + i);
    if (i > 0) {
      RAFT_DCHECK_GE(unstable_entries_[i].term(), unstable_entries_[i - 1].term());
    }
  }
#endif
}

}  // namespace kv::raft
