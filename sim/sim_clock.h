#pragma once
// SimClock: a node's clock in the simulator, with offset and drift. Layer: sim.
//
// Local time L relates to true time T (the scheduler's) piecewise linearly:
//   L(T) = anchor_local + (T - anchor_true) * (1e9 + drift_ppb) / 1e9
// so a drift of +50'000 ppb (50 ppm) gains 50 us per true second. Changing the
// drift re-anchors at the current instant, so L stays continuous and
// monotonic. A timer set for local delay d fires at the first true instant at
// which L has advanced by d under the drift in force when it was set.
//
// A timer's callback lives in the scheduler event that fires it. Timers are
// cancelled through the set of pending timer ids as well as by cancelling
// that event, so that a timer a node pause deferred (under a new event) is
// still cancelled by its id: its event then runs but finds the timer gone.

#include <cstdint>

#include "node/env/clock.h"
#include "sim/node_context.h"
#include "sim/scheduler.h"
#include "sim/timer_window.h"

namespace kv::sim {

class SimClock final : public env::Clock {
 public:
  // A clock reading `offset_ns` at true time 0 (must be >= 0), with drift
  // `drift_ppb` parts per billion (must be > -1e9).
  SimClock(Scheduler& scheduler, NodeContext& node, env::TimeNs offset_ns, int64_t drift_ppb);

  env::TimeNs NowNs() const override;
  // A lambda goes to Clock's After, which builds its OnFire in the timer's
  // event (ArmTimer).
  using env::Clock::After;
  env::TimerId After(env::DurationNs delay_ns, OnFire on_fire) override;
  bool Cancel(env::TimerId id) override;

  // Changes the drift from now on (clock-drift faults).
  void SetDriftPpb(int64_t drift_ppb);
  // Jumps the clock forward by `step_ns` >= 0 (a monotonic clock cannot go
  // back; skew between nodes comes from offsets and drift).
  void StepForward(env::DurationNs step_ns);
  // Forgets all timers: called when the node crashes. Their events are
  // dropped by the node's new incarnation and free their callbacks then.
  void DropAllTimers() { timers_.Clear(); }

  int64_t drift_ppb() const { return drift_ppb_; }
  size_t pending_timer_count() const { return timers_.size(); }

  // Converts a local duration to the true duration it takes under the current
  // drift, rounded up so that a timer never fires early in local time.
  env::DurationNs LocalToTrue(env::DurationNs local_ns) const;

 protected:
  // The timer's OnFire is built in its scheduler event's closure.
  void* ArmTimer(env::DurationNs delay_ns, env::TimerId& id) override;

 private:
  class TimerEvent;

  // Runs `on_fire` (held by the timer's event) unless the timer is no
  // longer pending.
  void Fire(uint64_t timer_id, OnFire& on_fire);

  Scheduler& scheduler_;
  NodeContext& node_;
  env::TimeNs anchor_local_ns_;
  env::TimeNs anchor_true_ns_ = 0;
  int64_t drift_ppb_;
  // Pending timers by id, with the scheduler event that fires each.
  TimerWindow timers_;
};

}  // namespace kv::sim
