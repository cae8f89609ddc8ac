#pragma once
// The in-flight window of MSG_APPs to one follower (layer: raft/): a bounded
// FIFO of (last index, bytes) per message, limited by count and by bytes.

#include <cstdint>
#include <deque>

namespace kv::raft {

class Inflights {
 public:
  // max_bytes == 0 means no byte limit. Precondition: max_count >= 1.
  Inflights(uint64_t max_count, uint64_t max_bytes);

  // Records a message whose last entry is `index`. Precondition: !Full() and
  // index is above every recorded index.
  void Add(uint64_t index, uint64_t bytes);
  // Frees every message whose last index is <= index (acknowledged).
  void FreeLE(uint64_t index);
  // Frees the oldest message (a heartbeat response suggests it was lost).
  void FreeFirstOne();
  void Reset();

  // Inline: checked before every MSG_APP to a replicating follower.
  bool Full() const {
    return entries_.size() >= max_count_ ||
           (max_bytes_ != 0 && bytes_ >= max_bytes_);
  }
  uint64_t count() const { return entries_.size(); }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Inflight {
    uint64_t index;
    uint64_t bytes;
  };
  uint64_t max_count_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  // Bounded by max_count_.
  std::deque<Inflight> entries_;
};

}  // namespace kv::raft
