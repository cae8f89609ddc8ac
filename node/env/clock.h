#pragma once
// Clock: a node's view of time, and its timers. Layer: node/env.
//
// The node logic reads time only through this interface. In the simulator the
// clock is a SimClock (sim/sim_clock.h) whose time may be offset from and
// drift against simulated "true" time; in a real node it is CLOCK_MONOTONIC.

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "node/env/types.h"

namespace kv::env {

// Names a scheduled timer. The zero value names no timer.
struct TimerId {
  uint64_t value = 0;
  bool valid() const { return value != 0; }
  friend bool operator==(TimerId, TimerId) = default;
};

// Clock contract:
// - NowNs() is monotonic: two reads on the same node never go backwards.
// - After(delay, cb) runs `cb` once, on the node's single logic thread, no
//   earlier than `delay` nanoseconds of this clock after the call. It never runs
//   `cb` inline, even for a zero or negative delay (treated as zero). Timers
//   with equal deadlines fire in the order they were set.
// - Cancel(id) guarantees the callback will not run if it has not started;
//   it returns true if the timer was pending. Cancelling an unknown, fired or
//   already-cancelled id is harmless and returns false.
// - Callbacks may set and cancel timers, including their own id.
// Not thread-safe: call only from the node's logic thread.
class Clock {
 public:
  using OnFire = absl::AnyInvocable<void()>;

  virtual ~Clock() = default;

  // This node's monotonic time.
  virtual TimeNs NowNs() const = 0;

  // Schedules `on_fire` after `delay_ns` of this clock. Returns its id.
  virtual TimerId After(DurationNs delay_ns, OnFire on_fire) = 0;

  // As After(delay_ns, OnFire(on_fire)) for any other `void()` callable (a
  // lambda), with the OnFire built where the clock keeps it (ArmTimer), if
  // the clock offers that: the OnFire is then neither moved nor destroyed
  // empty, each of which is an indirect call (the simulator arms tens of
  // thousands of timers a simulated second).
  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, OnFire> && std::is_invocable_r_v<void, D&>>>
  TimerId After(DurationNs delay_ns, F&& on_fire) {
    TimerId id;
    if (void* const storage = ArmTimer(delay_ns, id)) {
      ::new (storage) OnFire(std::forward<F>(on_fire));
      return id;
    }
    return After(delay_ns, OnFire(std::forward<F>(on_fire)));
  }

  // Cancels a pending timer. Returns whether it was pending.
  virtual bool Cancel(TimerId id) = 0;

 protected:
  // Arms a timer firing `delay_ns` from now, sets `id` to its id, and
  // returns the uninitialized storage of its OnFire, which the caller
  // constructs there at once (before any other call to this clock); or
  // returns null, arming nothing, if the clock does not keep its callbacks
  // that way (the default: After(delay, f) then calls After(delay, OnFire)).
  virtual void* ArmTimer(DurationNs delay_ns, TimerId& id) {
    static_cast<void>(delay_ns);
    static_cast<void>(id);
    return nullptr;
  }
};

}  // namespace kv::env
