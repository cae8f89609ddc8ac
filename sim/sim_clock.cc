#include "sim/sim_clock.h"

#include <new>
#include <utility>

#include "node/env/check.h"
#include "sim/trace/tracer.h"

namespace kv::sim {
namespace {

constexpr int64_t kBillion = 1'000'000'000;
// Digest tag base for timer events; the timer id is mixed in.
constexpr uint64_t kTimerTag = 0x7431'0000'0000'0000ULL;

}  // namespace

SimClock::SimClock(Scheduler& scheduler, NodeContext& node, env::TimeNs offset_ns,
                   int64_t drift_ppb)
    : scheduler_(scheduler), node_(node), anchor_local_ns_(offset_ns), drift_ppb_(drift_ppb) {
  KV_CHECK_GE(offset_ns, 0);
  KV_CHECK_GT(drift_ppb, -kBillion);
  anchor_true_ns_ = scheduler_.now_ns();
}

// Both conversions are exact integer formulas over 128 bits. While the
// products fit in 64 bits (spans up to about 18 s, so nearly always) they
// are computed in 64 bits, which gives the same result: 128-bit division is
// a library call, and these run on every timer and clock read.

env::TimeNs SimClock::NowNs() const {
  // Scheduler time never decreases and the anchor is a past scheduler time,
  // so elapsed >= 0 and the rate is > 0 (constructor and SetDriftPpb check).
  const int64_t elapsed = scheduler_.now_ns() - anchor_true_ns_;
  // Without drift the formula below gives elapsed itself (as in LocalToTrue).
  if (drift_ppb_ == 0) return anchor_local_ns_ + elapsed;
  const uint64_t rate = static_cast<uint64_t>(kBillion + drift_ppb_);
  uint64_t product;
  if (elapsed >= 0 &&
      !__builtin_mul_overflow(static_cast<uint64_t>(elapsed), rate, &product)) [[likely]] {
    return anchor_local_ns_ + static_cast<int64_t>(product / kBillion);
  }
  return anchor_local_ns_ + static_cast<int64_t>(static_cast<__int128>(elapsed) *
                                                 (kBillion + drift_ppb_) / kBillion);
}

env::DurationNs SimClock::LocalToTrue(env::DurationNs local_ns) const {
  if (local_ns <= 0) return 0;
  // Without drift (most nodes of most runs) the rate is 1e9 and the formula
  // below gives local_ns itself, without its multiply and 64-bit division.
  if (drift_ppb_ == 0) return local_ns;
  // ceil(local_ns * 1e9 / rate), so that a timer never fires early.
  const uint64_t rate = static_cast<uint64_t>(kBillion + drift_ppb_);
  uint64_t scaled;
  uint64_t rounded_up;
  if (!__builtin_mul_overflow(static_cast<uint64_t>(local_ns), uint64_t{kBillion}, &scaled) &&
      !__builtin_add_overflow(scaled, rate - 1, &rounded_up)) [[likely]] {
    return static_cast<int64_t>(rounded_up / rate);
  }
  const __int128 wide_rate = kBillion + drift_ppb_;
  return static_cast<int64_t>((static_cast<__int128>(local_ns) * kBillion + wide_rate - 1) /
                              wide_rate);
}

// A timer's closure, built in its scheduler event's slot (wrapped in the
// node's event): fires timer `id` of `clock`. Its OnFire starts as raw
// storage, which ArmTimer hands to its caller to build the OnFire in; the
// caller does so before anything else runs, so the closure is whole before
// it can be run, moved (a pause defers it) or destroyed.
class SimClock::TimerEvent {
 public:
  TimerEvent(SimClock* clock, uint64_t id, void*& on_fire_storage) : clock_(clock), id_(id) {
    on_fire_storage = on_fire_storage_;
  }
  TimerEvent(TimerEvent&& other) noexcept : clock_(other.clock_), id_(other.id_) {
    ::new (static_cast<void*>(on_fire_storage_)) OnFire(std::move(other.on_fire()));
  }
  TimerEvent& operator=(TimerEvent&&) = delete;
  ~TimerEvent() { on_fire().~OnFire(); }

  void operator()() { clock_->Fire(id_, on_fire()); }

 private:
  OnFire& on_fire() { return *std::launder(reinterpret_cast<OnFire*>(on_fire_storage_)); }

  SimClock* clock_;
  uint64_t id_;
  alignas(OnFire) unsigned char on_fire_storage_[sizeof(OnFire)];
};

env::TimerId SimClock::After(env::DurationNs delay_ns, OnFire on_fire) {
  KV_DCHECK(on_fire != nullptr);
  env::TimerId id;
  // The callback is moved once, into the event's closure built in its slot.
  ::new (ArmTimer(delay_ns, id)) OnFire(std::move(on_fire));
  return id;
}

void* SimClock::ArmTimer(env::DurationNs delay_ns, env::TimerId& id) {
  const uint64_t timer_id = timers_.next_id();
  void* on_fire_storage = nullptr;
  const EventId event = node_.AfterResultOf(
      LocalToTrue(delay_ns), kTimerTag ^ (static_cast<uint64_t>(node_.id()) << 40) ^ timer_id,
      [&] { return TimerEvent(this, timer_id, on_fire_storage); });
  timers_.Add(timer_id, event);
  id = env::TimerId{timer_id};
  return on_fire_storage;
}

bool SimClock::Cancel(env::TimerId id) {
  const EventId event = timers_.Remove(id.value);
  if (!event.valid()) return false;
  scheduler_.Cancel(event);
  return true;
}

// Inline in the timer's event, its one caller: one call fewer per timer
// that fires.
[[gnu::always_inline]] inline void SimClock::Fire(uint64_t timer_id, OnFire& on_fire) {
  // Cancelled after a pause deferred it.
  if (!timers_.Remove(timer_id).valid()) return;
  if (trace::Tracer* tracer = scheduler_.tracer()) tracer->TimerFired(node_.id(), timer_id);
  on_fire();
}

void SimClock::SetDriftPpb(int64_t drift_ppb) {
  KV_CHECK_GT(drift_ppb, -kBillion);
  anchor_local_ns_ = NowNs();
  anchor_true_ns_ = scheduler_.now_ns();
  drift_ppb_ = drift_ppb;
}

void SimClock::StepForward(env::DurationNs step_ns) {
  KV_CHECK_GE(step_ns, 0);
  anchor_local_ns_ = NowNs() + step_ns;
  anchor_true_ns_ = scheduler_.now_ns();
}

}  // namespace kv::sim
