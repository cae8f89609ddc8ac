#pragma once
// The Raft log as the core sees it (layer: raft/): the stable prefix in
// LogStorage plus the unstable suffix (entries and possibly a snapshot) that
// was accepted but is not yet acknowledged as persisted. Tracks the commit
// index and what was handed out for applying.
//
// Invariants:
//   applied <= applying <= committed <= LastIndex()
//   committed never decreases
//   an unstable snapshot at index s implies unstable_offset_ == s + 1

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "raft/config.h"
#include "raft/entry_copier.h"
#include "raft/log_storage.h"
#include "raft/raft.pb.h"
#include "raft/raft_check.h"
#include "raft/raft_log_entry_cache.h"
#include "raft/unstable_entries.h"

namespace kv::raft {

class RaftLog {
 public:
  // `storage` must outlive the log. committed and applied start at the
  // storage's snapshot index. Up to max_entry_cache_bytes of persisted
  // entries' data are kept in memory until handed out for applying
  // (Config::max_entry_cache_bytes; RaftLogEntryCache).
  explicit RaftLog(const LogStorage* storage,
                   uint64_t max_entry_cache_bytes = kDefaultMaxEntryCacheBytes);

  uint64_t FirstIndex() const;
  // Inline, like the other small queries below: they run several times per
  // message and per Ready.
  uint64_t LastIndex() const {
    if (!unstable_entries_.empty()) return UnstableLastIndex();
    if (unstable_snapshot_) return unstable_snapshot_->metadata().index();
    return unstable_offset_ - 1;
  }
  uint64_t LastTerm() const;
  // Term of the entry at index; kOutOfRange if compacted or beyond the end.
  // Inline for the terms asked most, an unstable entry's and the last
  // stable one's (a leader's prev_index per MSG_APP, a follower's per entry
  // appended); the rest, and every error, out of line (TermSlow).
  [[nodiscard]] absl::StatusOr<uint64_t> Term(uint64_t index) const {
    if (index >= unstable_offset_) {
      if (index - unstable_offset_ < unstable_entries_.size()) {
        return unstable_entries_[index - unstable_offset_].term();
      }
    } else if (!unstable_snapshot_ && IsLastStableIndex(index)) {
      return last_stable_term_;
    }
    return TermSlow(index);
  }
  // Term of the entry at index, or 0 when it is not available. Inline,
  // with Term: once per acknowledgement a leader counts.
  uint64_t TermOrZero(uint64_t index) const {
    // Checked first, as in MatchTerm.
    if (index > LastIndex()) return 0;
    absl::StatusOr<uint64_t> term = Term(index);
    return term.ok() ? *term : 0;
  }
  // Inline, with Term: once per entry a follower is sent.
  bool MatchTerm(uint64_t index, uint64_t term) const {
    // Beyond the last index nothing matches (an append ahead of this log):
    // answered without building Term()'s error message, which cost more
    // than the rest of the lookup.
    if (index > LastIndex()) return false;
    absl::StatusOr<uint64_t> our_term = Term(index);
    return our_term.ok() && *our_term == term;
  }
  // Whether a log ending at (last_index, last_term) is at least as up to date
  // as this one (Raft paper section 5.4.1).
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const;

  // Follower side of AppendEntries (Raft paper section 5.3): if the entry at
  // prev_index has prev_term, drops any conflicting suffix, appends the new
  // entries, advances the commit index to min(commit, last new index) and
  // returns the last new index. Returns nullopt when the terms do not match.
  // Inline (below): once per MSG_APP a follower gets, from another file of
  // the core.
  std::optional<uint64_t> MaybeAppend(
      uint64_t prev_index, uint64_t prev_term, uint64_t commit,
      const google::protobuf::RepeatedPtrField<Entry>& entries);
  // Appends to the unstable suffix, truncating from entries[0].index().
  // Returns the new last index. Precondition: entries[0].index() > committed.
  uint64_t Append(std::vector<Entry> entries);
  // Appends one normal entry with `data` at LastIndex() + 1 in `term`, built
  // in place (a proposal: no vector, and usually no new entry). Returns its
  // index. Precondition: LastIndex() >= committed.
  uint64_t AppendNormal(uint64_t term, std::string data);

  // Largest index <= index whose term is <= term, and that term (etcd's
  // findConflictByTerm), used for fast back-tracking. Term 0 = unknown.
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t index,
                                                   uint64_t term) const;

  // Entries in [lo, hi) up to max_bytes (at least one; 0 = unlimited).
  // Errors: kOutOfRange if lo was compacted.
  [[nodiscard]] absl::StatusOr<std::vector<Entry>> Slice(
      uint64_t lo, uint64_t hi, uint64_t max_bytes) const;
  // The same slice appended to `out` (a message's entries), which saves the
  // leader a vector and a move of every entry per MSG_APP. Inline (below).
  [[nodiscard]] absl::Status SliceInto(
      uint64_t lo, uint64_t hi, uint64_t max_bytes,
      google::protobuf::RepeatedPtrField<Entry>& out) const;

  // Commits max_index if its entry has `term`. Returns whether it advanced.
  // Inline: once per acknowledgement a leader counts.
  bool MaybeCommit(uint64_t max_index, uint64_t term) {
    if (max_index > committed_ && TermOrZero(max_index) == term) {
      CommitTo(max_index);
      return true;
    }
    return false;
  }
  // Never decreases. Precondition: index <= LastIndex(). Inline: called for
  // every heartbeat and append a follower gets, most of which move nothing.
  // Always: the compiler would not inline these small functions for their
  // checks' failure paths, which build a message (raft_check.h).
  [[gnu::always_inline]] void CommitTo(uint64_t index) {
    if (index <= committed_) return;
    RAFT_CHECK_LE(index, LastIndex());
    committed_ = index;
  }

  // Committed entries that are persisted locally and not yet handed out,
  // up to max_bytes (0 = unlimited); marks them as applying.
  std::vector<Entry> TakeCommittedEntries(uint64_t max_bytes);
  // The same, written over out's previous contents (see
  // TakeUnstableEntriesInto). Inline (below), like TakeUnstableEntriesInto
  // and StableTo: each runs once per Ready that carries entries, from
  // another file of the core.
  void TakeCommittedEntriesInto(uint64_t max_bytes, std::vector<Entry>& out);
  bool HasCommittedEntriesToApply() const {
    if (unstable_snapshot_) return false;
    return applying_ < std::min(committed_, PersistedIndex());
  }
  // Host acknowledgement: the state machine applied up to index. Inline:
  // once per batch applied.
  [[gnu::always_inline]] void AppliedTo(uint64_t index) {
    RAFT_CHECK_LE(index, applying_);
    if (index > applied_) applied_ = index;
  }

  // Unstable entries not yet handed to the host; marks them in progress.
  std::vector<Entry> TakeUnstableEntries();
  // The same, copied over out's previous contents: a refilled Ready reuses
  // its vector and its entries' string buffers instead of allocating anew.
  void TakeUnstableEntriesInto(std::vector<Entry>& out);
  bool HasUnstableEntriesToPersist() const {
    return !unstable_entries_.empty() &&
           unstable_offset_in_progress_ <= UnstableLastIndex();
  }
  std::optional<Snapshot> TakeUnstableSnapshot();
  bool HasUnstableSnapshotToPersist() const {
    return unstable_snapshot_.has_value() && !unstable_snapshot_in_progress_;
  }
  // Host acknowledgement: entries up to (index, term) are durable. Ignored if
  // the entry at index has since been replaced.
  void StableTo(uint64_t index, uint64_t term);
  // Host acknowledgement: the snapshot at index is durable and installed in
  // the state machine, which is now at that index.
  void StableSnapshotTo(uint64_t index);
  // Last index that is durable locally.
  uint64_t PersistedIndex() const { return unstable_offset_ - 1; }

  // Replaces the log with a received snapshot.
  void Restore(Snapshot snapshot);

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  uint64_t applying() const { return applying_; }
  const LogStorage& storage() const { return *storage_; }
  const RaftLogEntryCache& entry_cache() const { return entry_cache_; }
  bool has_unstable_snapshot() const { return unstable_snapshot_.has_value(); }

  void CheckInvariants() const;

 private:
  // TakeCommittedEntriesInto's case where the cache does not start at lo:
  // then they are all in storage.
  void TakeCommittedEntriesFromStorage(uint64_t lo, uint64_t hi, uint64_t max_bytes,
                                       std::vector<Entry>& out);
  // Append's and MaybeAppend's first half: checks that entries from `first`
  // may be appended, and drops any unstable suffix from `first` so that
  // they go at the end of unstable_entries_. Inline for the common case, a
  // plain append (then first == LastIndex() + 1: see LastIndex).
  [[gnu::always_inline]] void PrepareAppend(uint64_t first) {
    RAFT_CHECK_GT(first, committed_);
    if (first == unstable_offset_ + unstable_entries_.size()) return;
    PrepareTruncatingAppend(first);
  }
  // PrepareAppend's other cases: `first` replaces entries.
  void PrepareTruncatingAppend(uint64_t first);
  // Term's cases that are not inline, and its errors.
  [[nodiscard]] absl::StatusOr<uint64_t> TermSlow(uint64_t index) const;

  // Slice and SliceInto; `out` is empty or a message's entries.
  template <typename Out>
  [[nodiscard]] absl::Status SliceTo(uint64_t lo, uint64_t hi,
                                     uint64_t max_bytes, Out& out) const;

  uint64_t UnstableLastIndex() const {
    return unstable_offset_ + unstable_entries_.size() - 1;
  }
  // Whether last_stable_term_ is the term of the entry at `index`, the last
  // stable one (see last_stable_index_).
  bool IsLastStableIndex(uint64_t index) const {
    return index == last_stable_index_ && index + 1 == unstable_offset_;
  }

  const LogStorage* storage_;
  EntryCopier entry_copier_;
  std::optional<Snapshot> unstable_snapshot_;
  bool unstable_snapshot_in_progress_ = false;
  // Index of unstable_entries_[0]; every index below it is in storage.
  uint64_t unstable_offset_;
  // The last entry StableTo() made stable and its term, which Term() answers
  // without asking storage while it is still the last stable one
  // (IsLastStableIndex): the term asked most (a leader's prev_index for an
  // up-to-date follower, a follower's for the next append, the quorum
  // index), through two virtual calls and a StatusOr each time otherwise.
  // Stored entries below unstable_offset_ change only after a truncation
  // lowers unstable_offset_ below them, and only a StableTo() raises it
  // again (or Restore, which forgets this). Compaction keeps the term of the
  // last stable entry, as it never passes the applied index. UINT64_MAX is
  // none: its successor, 0, is never unstable_offset_.
  uint64_t last_stable_index_ = UINT64_MAX;
  uint64_t last_stable_term_ = 0;
  // First unstable index not yet handed to the host.
  uint64_t unstable_offset_in_progress_;
  UnstableEntries unstable_entries_;
  // Persisted entries not yet handed out for applying, moved here by
  // StableTo: committed entries, and the stored part of a slice, are
  // served from it when it holds them, and read from storage otherwise.
  // Empty, or ends at PersistedIndex(); holds only entries above
  // applying_ (see CheckInvariants).
  RaftLogEntryCache entry_cache_;
  // Stored entries a slice for a message reads, decoded here and then
  // swapped into the message, so that this vector and the message keep
  // their entry objects and data buffers from one slice to the next (a
  // lagging follower is sent stored entries, one MSG_APP after another).
  // What it holds between slices means nothing. Mutable: a slice is a read.
  mutable std::vector<Entry> stable_scratch_;
  uint64_t committed_;
  // Highest index handed out in committed entries. Invariant: <= committed_.
  uint64_t applying_;
  // Highest index the host has applied. Invariant: <= applying_.
  uint64_t applied_;
};

namespace raft_log_internal {

// SliceTo's two kinds of output, given the stored entries read. A vector
// (Slice, rare) takes them; a message's entries are swapped with them, so
// that `stable` keeps entry objects to decode over next time.
inline void AppendStable(std::vector<Entry>& stable, std::vector<Entry>& out) {
  out.swap(stable);
}
inline void AppendStable(std::vector<Entry>& stable,
                         google::protobuf::RepeatedPtrField<Entry>& out) {
  out.Reserve(out.size() + static_cast<int>(stable.size()));
  for (Entry& entry : stable) out.Add()->Swap(&entry);
}
// A new entry: its copy constructor allocates once, where a copy into a
// default-constructed one allocates the string object and its buffer.
inline void AppendCopy(const EntryCopier& /*copier*/, const Entry& entry, std::vector<Entry>& out) {
  out.push_back(entry);
}
inline void AppendCopy(const EntryCopier& copier, const Entry& entry,
                       google::protobuf::RepeatedPtrField<Entry>& out) {
  // Add() hands back an entry a cleared message kept, if any, whose data
  // string keeps its capacity.
  copier.Copy(entry, *out.Add());
}

}  // namespace raft_log_internal

// Inlined into Slice and SliceInto, its only callers: SliceInto runs per
// MSG_APP, from another file of the core.
template <typename Out>
[[gnu::always_inline]] inline absl::Status RaftLog::SliceTo(uint64_t lo, uint64_t hi,
                                                            uint64_t max_bytes, Out& out) const {
  RAFT_CHECK_LE(lo, hi);
  RAFT_CHECK_LE(hi, LastIndex() + 1);
  // FirstIndex() <= unstable_offset_ (see CheckInvariants), so a slice of
  // unstable entries alone, a leader's usual MSG_APP, is not compacted:
  // asked without FirstIndex()'s two virtual calls into storage.
  if (lo < unstable_offset_ && lo < FirstIndex()) {
    return absl::OutOfRangeError(fmt::format(
        "slice: lo {} compacted (first index {})", lo, FirstIndex()));
  }
  if (lo == hi) return absl::OkStatus();
  uint64_t size = 0;
  if (lo < unstable_offset_ && entry_cache_.Contains(lo)) {
    // The cache ends at the persisted index, so it holds every stored
    // entry of the slice. The same limit rule as below.
    const uint64_t stable_hi = std::min(hi, unstable_offset_);
    for (uint64_t i = lo; i < stable_hi; ++i) {
      const Entry& entry = entry_cache_.at(i);
      size += entry.data().size();
      if (!out.empty() && max_bytes != 0 && size > max_bytes) return absl::OkStatus();
      raft_log_internal::AppendCopy(entry_copier_, entry, out);
    }
  } else if (lo < unstable_offset_) {
    const uint64_t stable_hi = std::min(hi, unstable_offset_);
    const absl::Status read =
        storage_->EntriesInto(lo, stable_hi, max_bytes, stable_scratch_);
    if (!read.ok()) return read;
    size = EntriesDataSize(stable_scratch_);
    const uint64_t stable_count = stable_scratch_.size();
    raft_log_internal::AppendStable(stable_scratch_, out);
    // Stop if storage hit the byte limit before stable_hi.
    if (stable_count < stable_hi - lo) return absl::OkStatus();
  }
  for (uint64_t i = std::max(lo, unstable_offset_); i < hi; ++i) {
    const Entry& entry = unstable_entries_[i - unstable_offset_];
    size += entry.data().size();
    if (!out.empty() && max_bytes != 0 && size > max_bytes) break;
    raft_log_internal::AppendCopy(entry_copier_, entry, out);
  }
  return absl::OkStatus();
}

[[gnu::always_inline]] inline absl::Status RaftLog::SliceInto(
    uint64_t lo, uint64_t hi, uint64_t max_bytes,
    google::protobuf::RepeatedPtrField<Entry>& out) const {
  RAFT_CHECK(out.empty());
  return SliceTo(lo, hi, max_bytes, out);
}

[[gnu::always_inline]] inline std::optional<uint64_t> RaftLog::MaybeAppend(
    uint64_t prev_index, uint64_t prev_term, uint64_t commit,
    const google::protobuf::RepeatedPtrField<Entry>& entries) {
  if (!MatchTerm(prev_index, prev_term)) return std::nullopt;
  const uint64_t last_new_index = prev_index + entries.size();
  // Find the first entry that is not already in the log; entries before it
  // match (log matching property, Raft paper section 5.3) and are skipped so
  // that a duplicate or reordered MSG_APP never truncates anything.
  const int count = entries.size();
  int first_new = 0;
  const uint64_t last_index = LastIndex();
  while (first_new < count) {
    const Entry& entry = entries[first_new];
    RAFT_DCHECK_EQ(entry.index(), prev_index + 1 + first_new);
    // Past our last index nothing can match; skip the term lookups.
    if (entry.index() > last_index) break;
    if (!MatchTerm(entry.index(), entry.term())) break;
    ++first_new;
  }
  if (first_new < count) {
    // Copied straight from the message into the unstable entries, over
    // spare ones where there are any.
    PrepareAppend(entries[first_new].index());
    for (int i = first_new; i < count; ++i) {
      unstable_entries_.PushCopy(entry_copier_, entries[i]);
    }
  }
  CommitTo(std::min(commit, last_new_index));
  return last_new_index;
}

[[gnu::always_inline]] inline void RaftLog::TakeCommittedEntriesInto(uint64_t max_bytes,
                                                                    std::vector<Entry>& out) {
  if (!HasCommittedEntriesToApply()) {
    out.clear();
    return;
  }
  const uint64_t lo = applying_ + 1;
  const uint64_t hi = std::min(committed_, PersistedIndex()) + 1;
  RAFT_CHECK_LE(hi, unstable_offset_);
  // The cache holds only entries above applying_ and ends at the persisted
  // index: if it starts at lo, it holds them all, and they move out of it.
  if (!entry_cache_.empty() && entry_cache_.first_index() == lo) [[likely]] {
    entry_cache_.TakeFrontInto(hi, max_bytes, out);
    applying_ = out.back().index();
    return;
  }
  TakeCommittedEntriesFromStorage(lo, hi, max_bytes, out);
}

[[gnu::always_inline]] inline void RaftLog::TakeUnstableEntriesInto(std::vector<Entry>& out) {
  if (!HasUnstableEntriesToPersist()) {
    out.clear();
    return;
  }
  // Copied over the existing elements, keeping their buffers.
  const size_t first = unstable_offset_in_progress_ - unstable_offset_;
  const size_t count = unstable_entries_.size() - first;
  out.resize(count);
  for (size_t i = 0; i < count; ++i) entry_copier_.Copy(unstable_entries_[first + i], out[i]);
  unstable_offset_in_progress_ = UnstableLastIndex() + 1;
}

[[gnu::always_inline]] inline void RaftLog::StableTo(uint64_t index, uint64_t term) {
  if (index < unstable_offset_ || unstable_entries_.empty() ||
      index > UnstableLastIndex()) {
    return;
  }
  if (unstable_entries_[index - unstable_offset_].term() != term) return;
  const size_t count = index + 1 - unstable_offset_;
  // Persisted: they move into the entry cache, which gives back spare
  // entries for the unstable ones to reuse.
  for (size_t i = 0; i < count; ++i) entry_cache_.PushSwap(unstable_entries_.mutable_entry(i));
  unstable_entries_.DropFront(count);
  unstable_offset_ = index + 1;
  last_stable_index_ = index;
  last_stable_term_ = term;
  unstable_offset_in_progress_ =
      std::max(unstable_offset_in_progress_, unstable_offset_);
}

}  // namespace kv::raft
