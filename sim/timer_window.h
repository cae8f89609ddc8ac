#pragma once
// TimerWindow: a SimClock's pending timers, by timer id. Layer: sim.
//
// A clock numbers its timers 1, 2, 3, ... and nearly every timer fires or is
// cancelled soon after it is armed, so the pending ids lie in a window
// [first, next) that slides forward. The window's entries sit in a ring
// indexed by id modulo its capacity: arming, finding and removing a timer is
// an array access, with no hashing and no probing (a hash map cost a few
// hundred instructions per timer, on a path every node event uses).
//
// Memory: the ring spans every id from the oldest pending timer on, so one
// long-lived timer keeps it as large as the number of timers armed since
// (8 bytes each); it doubles when full and never shrinks.

#include <cstdint>
#include <vector>

#include "node/env/check.h"
#include "sim/scheduler.h"

namespace kv::sim {

class TimerWindow {
 public:
  TimerWindow() : ring_(kInitialCapacity) {}

  // The id the next Add must use.
  uint64_t next_id() const { return next_; }
  // Number of pending timers.
  size_t size() const { return size_; }

  // Records timer `id` == next_id(), which fires through scheduler event
  // `event` (valid).
  void Add(uint64_t id, EventId event) {
    KV_DCHECK_EQ(id, next_);
    KV_DCHECK(event.valid());
    if (next_ - first_ > mask_) [[unlikely]] Grow();  // Full: mask_ + 1 is the capacity.
    ring_[id & mask_] = event;
    ++next_;
    ++size_;
  }

  // Removes timer `id` and returns the event it was recorded with, or an
  // invalid EventId if it is not pending (it fired, was cancelled, was
  // dropped by Clear, or was never armed).
  EventId Remove(uint64_t id) {
    if (id < first_ || id >= next_) return EventId{};
    EventId& entry = ring_[id & mask_];
    const EventId event = entry;
    if (!event.valid()) return event;
    entry = EventId{};
    --size_;
    // Ids before the oldest pending one can no longer be pending.
    if (id == first_) {
      do {
        ++first_;
      } while (first_ < next_ && !ring_[first_ & mask_].valid());
    }
    return event;
  }

  // Forgets every pending timer; ids keep counting from next_id().
  void Clear() {
    for (uint64_t id = first_; id < next_; ++id) ring_[id & mask_] = EventId{};
    first_ = next_;
    size_ = 0;
  }

 private:
  static constexpr size_t kInitialCapacity = 64;  // A power of two.

  void Grow() {
    std::vector<EventId> bigger(2 * ring_.size());
    const uint64_t bigger_mask = bigger.size() - 1;
    for (uint64_t id = first_; id < next_; ++id) bigger[id & bigger_mask] = ring_[id & mask_];
    ring_.swap(bigger);
    mask_ = bigger_mask;
  }

  // Entries for ids in [first_, next_) at index id & mask_; invalid for ids
  // no longer pending. The capacity is a power of two.
  std::vector<EventId> ring_;
  uint64_t mask_ = kInitialCapacity - 1;
  uint64_t first_ = 1;  // No pending timer has a smaller id.
  uint64_t next_ = 1;
  size_t size_ = 0;
};

}  // namespace kv::sim
