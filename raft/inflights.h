#pragma once
// The in-flight window of MSG_APPs to one follower (layer: raft/): a bounded
// FIFO of (last index, bytes) per message, limited by count and by bytes.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "raft/raft_check.h"

namespace kv::raft {

class Inflights {
 public:
  // max_bytes == 0 means no byte limit. Precondition: max_count >= 1.
  Inflights(uint64_t max_count, uint64_t max_bytes);

  // Records a message whose last entry is `index`. Precondition: !Full() and
  // index is above every recorded index. Inline: once per MSG_APP with
  // entries to a replicating follower. Always: the compiler would not
  // inline it for its checks' message-building failure paths.
  [[gnu::always_inline]] void Add(uint64_t index, uint64_t bytes) {
    RAFT_CHECK(!Full());
    if (count_ != 0) RAFT_CHECK_GT(index, ring_[Slot(count_ - 1)].index);
    if (count_ == ring_.size()) Grow();
    ring_[Slot(count_)] = Inflight{index, bytes};
    ++count_;
    bytes_ += bytes;
  }
  // Frees every message whose last index is <= index (acknowledged).
  void FreeLE(uint64_t index);
  // Frees the oldest message (a heartbeat response suggests it was lost).
  void FreeFirstOne();
  void Reset();

  // Inline: checked before every MSG_APP to a replicating follower.
  bool Full() const {
    return count_ >= max_count_ ||
           (max_bytes_ != 0 && bytes_ >= max_bytes_);
  }
  uint64_t count() const { return count_; }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Inflight {
    uint64_t index;
    uint64_t bytes;
  };
  // The ring's first size, grown by doubling up to max_count_.
  static constexpr size_t kInitialRingSize = 8;

  // The i-th oldest message. Precondition: i < ring_.size().
  size_t Slot(size_t i) const {
    const size_t slot = first_ + i;
    return slot < ring_.size() ? slot : slot - ring_.size();
  }
  void PopOldest();
  // Makes room for one more message. Precondition: count_ < max_count_.
  void Grow();

  uint64_t max_count_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  // The recorded messages, oldest first, as a ring: count_ of them from
  // ring_[first_], wrapping at the end. A std::deque allocated and freed a
  // block every few dozen messages sent and acknowledged, one per
  // replicated append. Invariant: count_ <= ring_.size() <= max_count_,
  // first_ < ring_.size() unless the ring is empty.
  std::vector<Inflight> ring_;
  size_t first_ = 0;
  size_t count_ = 0;
};

}  // namespace kv::raft
