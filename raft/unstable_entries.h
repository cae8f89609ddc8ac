#pragma once
// UnstableEntries: the Raft log's unstable suffix as a vector of entries that
// keeps the ones it drops as spares (layer: raft/). Every entry is appended
// once and dropped once when the host reports it persisted; reusing the
// dropped entry objects (and their data strings' buffers) for the next
// appends saves a destruction and an allocating copy per entry, as the
// message pool does for outgoing messages (Raft::RecycleMessages).
//
// Invariant: entries_[0, size_) are the live entries, in order; the ones
// after them are spares whose contents mean nothing. At most
// kMaxSpareEntries spares are kept, and a spare's data buffer is released
// if it exceeds kMaxKeptBufferBytes (kept_buffer.h), so memory stays bounded
// by the largest unstable suffix plus that many small entries.

#include <cstddef>
#include <utility>
#include <vector>

#include "raft/entry_copier.h"
#include "raft/kept_buffer.h"
#include "raft/raft.pb.h"

namespace kv::raft {

class UnstableEntries {
 public:
  // A bound on the spares kept after a DropFront; the steady state needs
  // only a few (one per entry in flight to the disk).
  static constexpr size_t kMaxSpareEntries = 64;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Precondition: i < size().
  const Entry& operator[](size_t i) const { return entries_[i]; }
  const Entry& back() const { return entries_[size_ - 1]; }
  // Precondition: i < size(). For the log to swap a persisted entry into
  // its entry cache just before DropFront drops it (RaftLog::StableTo).
  Entry& mutable_entry(size_t i) { return entries_[i]; }

  // Appends a copy of `entry`, written over a spare if there is one.
  void PushCopy(const EntryCopier& copier, const Entry& entry) {
    if (size_ < entries_.size()) {
      copier.Copy(entry, entries_[size_]);
    } else {
      entries_.push_back(entry);
    }
    ++size_;
  }

  // Appends `entry`; over a spare its move is a swap, and `entry` is left
  // holding the spare's old contents.
  void PushMove(Entry&& entry) {
    if (size_ < entries_.size()) {
      entries_[size_] = std::move(entry);
    } else {
      entries_.push_back(std::move(entry));
    }
    ++size_;
  }

  // Appends an entry with every field cleared, for the caller to fill: a
  // spare (whose data string keeps its buffer) if there is one.
  Entry& PushCleared() {
    Entry& entry = PushSpare();
    entry.Clear();
    return entry;
  }

  // Appends a spare if there is one, else a new entry, as it is: for a
  // caller that sets every field over whatever it holds (a spare's contents
  // mean nothing), which saves PushCleared's out-of-line Clear().
  Entry& PushSpare() {
    ++size_;
    if (size_ <= entries_.size()) return entries_[size_ - 1];
    return entries_.emplace_back();
  }

  // Keeps the first `count` entries; the rest become spares (their data
  // bounded). Precondition: count <= size().
  void Truncate(size_t count);
  void Clear() { Truncate(0); }

  // Drops the first `count` entries (persisted ones), keeping them as
  // spares (their data bounded). Precondition: count <= size().
  void DropFront(size_t count) {
    // Inline for the usual case, where everything unstable was persisted
    // together and nothing moves: the out-of-line rotation's prologue cost
    // more than this.
    if (count == size_ && entries_.size() <= kMaxSpareEntries) {
      BoundSpares(0, count);
      size_ = 0;
      return;
    }
    RotateToSpares(count);
  }

  // Live entries plus spares, for tests of the bound.
  size_t capacity_entries() const { return entries_.size(); }
  // The data capacity of the spares, for tests of the bound.
  size_t SpareDataBytes() const;

 private:
  // Releases the huge data buffers of entries_[begin, end), which are
  // becoming spares.
  void BoundSpares(size_t begin, size_t end) {
    Entry* const last = entries_.data() + end;
    for (Entry* entry = entries_.data() + begin; entry != last; ++entry) ReleaseIfHuge(*entry);
  }
  // DropFront's general case: checks, rotates and bounds the spares.
  void RotateToSpares(size_t count);

  std::vector<Entry> entries_;
  // Number of live entries at the front of entries_.
  size_t size_ = 0;
};

}  // namespace kv::raft
