#pragma once
// RaftLogEntryCache: the Raft log's persisted entries that were not yet
// handed out for applying, kept in memory (layer: raft/). An entry is
// appended to the log, persisted by the host, committed and then applied;
// without this cache the committed entry is read back from storage (a parse
// out of the simulated page cache, a RocksDB or file read) although the log
// held it moments before. RaftLog moves each entry here when the host
// reports it persisted (StableTo), and moves it out into the Ready's
// committed entries; a slice for a MSG_APP to a follower that lags behind
// the persisted index copies from here too. Anything not here is read from
// storage, as before. etcd's raft keeps such entries in memory too.
//
// Invariants: the cached entries are those at [first_index(), first_index()
// + size()), contiguous and in order, in slots_[head_, head_ + size_); the
// other slots are spares whose contents mean nothing. Their costs (data
// plus a fixed overhead per entry) sum to bytes() <= max_bytes. At most
// kMaxSpareEntries spares are kept, and a spare's data buffer is released if
// it exceeds kMaxKeptBufferBytes (kept_buffer.h), so memory stays bounded by
// max_bytes plus that many small entries.
//
// The log keeps it consistent with storage: it is emptied when a snapshot
// replaces the log, truncated when a conflicting append replaces the stored
// suffix, and a restarted member starts with it empty.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "raft/kept_buffer.h"
#include "raft/raft.pb.h"
#include "raft/raft_check.h"

namespace kv::raft {

class RaftLogEntryCache {
 public:
  // A bound on the spare slots kept; the steady state needs a few (one per
  // entry between persisted and applied, plus one Ready's worth).
  static constexpr size_t kMaxSpareEntries = 64;
  // What an entry costs against the bound besides its data: its object, so
  // that entries without data are bounded too.
  static constexpr uint64_t kEntryOverheadBytes = sizeof(Entry);
  static uint64_t CostBytes(const Entry& entry) {
    return entry.data().size() + kEntryOverheadBytes;
  }

  // Keeps at most max_bytes (CostBytes summed); 0 keeps nothing.
  explicit RaftLogEntryCache(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Precondition: !empty().
  uint64_t first_index() const { return first_index_; }
  uint64_t last_index() const { return first_index_ + size_ - 1; }
  // CostBytes of the cached entries, summed; never above max_bytes().
  uint64_t bytes() const { return bytes_; }
  uint64_t max_bytes() const { return max_bytes_; }
  bool Contains(uint64_t index) const {
    return index >= first_index_ && index - first_index_ < size_;
  }
  // Precondition: Contains(index).
  const Entry& at(uint64_t index) const { return slots_[head_ + (index - first_index_)]; }

  // Takes a just-persisted `entry` by swapping it with a spare slot, so
  // `entry` is left holding the spare's old contents, which mean nothing
  // (nothing is copied). An entry that does not follow the last cached one
  // replaces them all. The oldest entries are dropped while the cost would
  // exceed max_bytes; an entry that costs more than max_bytes alone is not
  // taken (and leaves the cache empty). Inline for the usual case, a spare
  // at hand and room for the entry: once per entry persisted.
  void PushSwap(Entry& entry) {
    const size_t end = head_ + size_;
    const uint64_t cost = CostBytes(entry);
    if (end < slots_.size() && (size_ == 0 || entry.index() == first_index_ + size_) &&
        bytes_ + cost <= max_bytes_) [[likely]] {
      if (size_ == 0) first_index_ = entry.index();
      // No arena: see SwapEntries.
      SwapEntries(slots_[end], entry);
      ++size_;
      bytes_ += cost;
      return;
    }
    PushSwapSlow(entry);
  }

  // Moves the cached entries from first_index() on into out, written over
  // out's previous contents (which become spares), stopping before the
  // first one that takes their data past max_bytes (at least one entry;
  // 0 = unlimited) or at hi; they leave the cache. Preconditions:
  // !empty(), first_index() < hi. Inline: once per Ready with committed
  // entries, usually one or two.
  void TakeFrontInto(uint64_t hi, uint64_t max_bytes, std::vector<Entry>& out) {
    const size_t limit = static_cast<size_t>(std::min<uint64_t>(size_, hi - first_index_));
    const size_t count = max_bytes == 0 ? limit : CountWithin(limit, max_bytes);
    if (out.size() != count) out.resize(count);
    Entry* const taken = slots_.data() + head_;
    uint64_t taken_data = 0;
    for (size_t i = 0; i < count; ++i) {
      SwapEntries(out[i], taken[i]);
      taken_data += out[i].data().size();
      // The slot now holds what the host left in out: a spare.
      ReleaseIfHuge(taken[i]);
    }
    bytes_ -= taken_data + count * kEntryOverheadBytes;
    size_ -= count;
    first_index_ += count;
    head_ = size_ == 0 ? 0 : head_ + count;
    if (slots_.size() - size_ > kMaxSpareEntries) [[unlikely]] BoundSpareCount();
  }

  // Drops the entries at index and after (a conflicting append replaces
  // them in storage).
  void TruncateFrom(uint64_t index);
  // Drops the entries up to and including index (read from storage, or
  // handed out, elsewhere).
  void DropThrough(uint64_t index);
  void Clear() { DropFront(size_); }

  // Slots held, live and spare, for tests of the bound.
  size_t capacity_entries() const { return slots_.size(); }

 private:
  // Swaps two entries' contents. Neither is ever on an arena: the cache's
  // slots, the log's unstable entries and a Ready's entry vectors are all
  // std::vector elements, which is what UnsafeArenaSwap requires (the
  // same arena); it saves Swap's two arena lookups per entry moved.
  static void SwapEntries(Entry& a, Entry& b) {
    RAFT_DCHECK(a.GetArena() == nullptr && b.GetArena() == nullptr);
    a.UnsafeArenaSwap(&b);
  }
  // PushSwap's other cases: a new slot, a gap, eviction, a huge entry.
  void PushSwapSlow(Entry& entry);
  // How many of the first `limit` cached entries TakeFrontInto takes
  // within max_bytes (at least one).
  size_t CountWithin(size_t limit, uint64_t max_bytes) const;
  // Drops the first count cached entries into spares (their data bounded).
  void DropFront(size_t count);
  // Drops the last count cached entries into spares (their data bounded).
  void DropBack(size_t count);
  // A slot after the cached entries to take the next one: a spare if there
  // is one (the cached entries moved to the front first if they end at the
  // vector's end), else a new one.
  Entry& NextSlot();
  // Releases spares beyond kMaxSpareEntries.
  void BoundSpareCount();

  const uint64_t max_bytes_;
  std::vector<Entry> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
  uint64_t first_index_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace kv::raft
