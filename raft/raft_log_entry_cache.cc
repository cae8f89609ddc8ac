#include "raft/raft_log_entry_cache.h"

#include <algorithm>

#include "raft/raft_check.h"

namespace kv::raft {

void RaftLogEntryCache::PushSwapSlow(Entry& entry) {
  const uint64_t cost = CostBytes(entry);
  if (!empty() && entry.index() != first_index_ + size_) Clear();
  if (cost > max_bytes_) {
    Clear();
    return;
  }
  // The oldest go first: they are the next to be applied, but the cache
  // must end at the persisted index for the log to use it at all, so it
  // keeps the newest; the oldest are read from storage instead.
  while (bytes_ + cost > max_bytes_) DropFront(1);
  Entry& slot = NextSlot();
  SwapEntries(slot, entry);
  if (size_ == 0) first_index_ = slot.index();
  ++size_;
  bytes_ += cost;
}

size_t RaftLogEntryCache::CountWithin(size_t limit, uint64_t max_bytes) const {
  // The rule of every byte limit on entries (LogStorage::Entries): stop
  // before the entry that takes their data past it, but take one.
  uint64_t total = 0;
  for (size_t i = 0; i < limit; ++i) {
    total += slots_[head_ + i].data().size();
    if (i != 0 && total > max_bytes) return i;
  }
  return limit;
}

void RaftLogEntryCache::TruncateFrom(uint64_t index) {
  if (empty() || index > last_index()) return;
  if (index <= first_index_) {
    Clear();
    return;
  }
  DropBack(static_cast<size_t>(last_index() - index + 1));
}

void RaftLogEntryCache::DropThrough(uint64_t index) {
  if (empty() || index < first_index_) return;
  DropFront(static_cast<size_t>(std::min<uint64_t>(size_, index - first_index_ + 1)));
}

void RaftLogEntryCache::DropFront(size_t count) {
  RAFT_CHECK_LE(count, size_);
  for (size_t i = 0; i < count; ++i) {
    Entry& slot = slots_[head_ + i];
    bytes_ -= CostBytes(slot);
    ReleaseIfHuge(slot);
  }
  head_ += count;
  size_ -= count;
  first_index_ += count;
  if (size_ == 0) head_ = 0;
  BoundSpareCount();
}

void RaftLogEntryCache::DropBack(size_t count) {
  RAFT_CHECK_LE(count, size_);
  for (size_t i = size_ - count; i < size_; ++i) {
    Entry& slot = slots_[head_ + i];
    bytes_ -= CostBytes(slot);
    ReleaseIfHuge(slot);
  }
  size_ -= count;
  if (size_ == 0) head_ = 0;
  BoundSpareCount();
}

Entry& RaftLogEntryCache::NextSlot() {
  const size_t end = head_ + size_;
  if (end < slots_.size()) return slots_[end];
  if (head_ == 0) return slots_.emplace_back();
  // The spares are all in front: rotate them behind the cached entries.
  // Generated messages swap their fields, so no entry is copied.
  std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_), slots_.end());
  head_ = 0;
  return slots_[size_];
}

void RaftLogEntryCache::BoundSpareCount() {
  if (slots_.size() - size_ <= kMaxSpareEntries) return;
  if (head_ != 0) {
    std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_),
                slots_.begin() + static_cast<std::ptrdiff_t>(head_ + size_));
    head_ = 0;
  }
  slots_.resize(size_ + kMaxSpareEntries);
}

}  // namespace kv::raft
