#include "raft/unstable_entries.h"

#include <algorithm>

#include "raft/raft_check.h"

namespace kv::raft {

void UnstableEntries::Truncate(size_t count) {
  RAFT_CHECK_LE(count, size_);
  BoundSpares(count, size_);
  size_ = count;
}

void UnstableEntries::RotateToSpares(size_t count) {
  RAFT_CHECK_LE(count, size_);
  if (count == 0) return;
  BoundSpares(0, count);
  // The dropped entries rotate behind the live ones; generated messages
  // swap their fields, so no entry is copied.
  if (count < size_) {
    std::rotate(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(count),
                entries_.begin() + static_cast<std::ptrdiff_t>(size_));
  }
  size_ -= count;
  if (entries_.size() - size_ > kMaxSpareEntries) entries_.resize(size_ + kMaxSpareEntries);
}

size_t UnstableEntries::SpareDataBytes() const {
  size_t bytes = 0;
  for (size_t i = size_; i < entries_.size(); ++i) bytes += entries_[i].data().capacity();
  return bytes;
}

}  // namespace kv::raft
