#include "raft/raft_log_entry_cache.h"

#include <algorithm>

#include "raft/kept_buffer.h"
#include "raft/raft_check.h"

namespace kv::raft {

void RaftLogEntryCache::PushSwap(Entry& entry) {
  const uint64_t bytes = entry.data().size();
  if (!empty() && entry.index() != first_index_ + size_) Clear();
  if (max_bytes_ == 0 || bytes > max_bytes_) {
    Clear();
    return;
  }
  // The oldest go first: they are the next to be applied, but the newest
  // would be read back from storage later, and the cache must end at the
  // persisted index for the log to use it at all.
  while (data_bytes_ + bytes > max_bytes_) DropFront(1);
  Entry& slot = NextSlot();
  slot.Swap(&entry);
  if (size_ == 0) first_index_ = slot.index();
  ++size_;
  data_bytes_ += bytes;
}

void RaftLogEntryCache::TakeFrontInto(uint64_t hi, uint64_t max_bytes,
                                      std::vector<Entry>& out) {
  RAFT_CHECK(!empty());
  RAFT_CHECK_LT(first_index_, hi);
  const size_t limit = static_cast<size_t>(std::min<uint64_t>(size_, hi - first_index_));
  size_t count = limit;
  if (max_bytes != 0) {
    // The rule of every byte limit on entries (LogStorage::Entries): stop
    // before the entry that takes their data past it, but take one.
    uint64_t total = 0;
    for (size_t i = 0; i < limit; ++i) {
      total += slots_[head_ + i].data().size();
      if (i != 0 && total > max_bytes) {
        count = i;
        break;
      }
    }
  }
  out.resize(count);
  uint64_t taken_bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    Entry& slot = slots_[head_ + i];
    out[i].Swap(&slot);
    taken_bytes += out[i].data().size();
    // The slot now holds what the host left in out: a spare.
    ReleaseIfHuge(slot);
  }
  data_bytes_ -= taken_bytes;
  head_ += count;
  size_ -= count;
  first_index_ += count;
  if (size_ == 0) head_ = 0;
  BoundSpareCount();
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
    data_bytes_ -= slot.data().size();
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
    data_bytes_ -= slot.data().size();
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
  if (slots_.size() - size_ <= kMaxSpareEntries) [[likely]] return;
  if (head_ != 0) {
    std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_),
                slots_.begin() + static_cast<std::ptrdiff_t>(head_ + size_));
    head_ = 0;
  }
  slots_.resize(size_ + kMaxSpareEntries);
}

}  // namespace kv::raft
