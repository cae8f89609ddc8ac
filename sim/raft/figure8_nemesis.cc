#include "sim/raft/figure8_nemesis.h"

#include <fmt/format.h>

namespace kv::sim {
namespace {

using env::kMillisecond;

constexpr uint64_t kFigure8Tag = 0x66696738;
// A hold must outlast a few appends (one entry each) but end before the
// held leader's followers time out; the deadline bounds a whole cycle.
constexpr uint64_t kHoldMinMs = 5, kHoldMaxMs = 40;
constexpr env::DurationNs kCycleDeadlineNs = 2000 * kMillisecond;
// Idle time before the next cycle may start, so that the rest of the run
// also gets to exercise the group.
constexpr uint64_t kRestMinMs = 50, kRestMaxMs = 500;
// How long A stays down at the end of a cycle: several election timeouts.
constexpr uint64_t kDownMinMs = 300, kDownMaxMs = 800;

}  // namespace

Figure8Nemesis::Figure8Nemesis(Scheduler& scheduler, RaftCluster& cluster, env::Random random,
                               env::DurationNs end_ns, bool eligible)
    : scheduler_(scheduler), cluster_(cluster), random_(random), end_ns_(end_ns) {
  active_ = eligible && random_.Chance(2, 3);
  if (active_) Rest(0);
}

std::string Figure8Nemesis::Describe() const {
  if (!active_) return "figure8: off\n";
  return fmt::format("figure8: on (holds {}..{}ms, rest {}..{}ms between cycles)\n", kHoldMinMs,
                     kHoldMaxMs, kRestMinMs, kRestMaxMs);
}

void Figure8Nemesis::OnEvent() {
  if (!active_) return;
  const env::TimeNs now = scheduler_.now_ns();
  if (step_ != Step::kIdle && now >= deadline_ns_) return Abandon();
  if (step_ == Step::kIdle && (now >= end_ns_ || now < deadline_ns_)) return;  // Resting.
  const int leader_index = cluster_.LeaderNode();
  if (leader_index < 0) return;
  const env::NodeId leader = static_cast<env::NodeId>(leader_index);
  const uint64_t term = cluster_.Term(leader);
  switch (step_) {
    case Step::kIdle:
      return Begin(leader, term);
    case Step::kFirstDown:
      if (term <= last_term_ || leader == first_) return;
      last_term_ = term;
      second_ = leader;
      step_ = Step::kSecondHold;
      cluster_.HoldAppends(second_, 0, {});
      return AfterHold([this] {
        if (!CrashAfterHold(second_)) return;
        cluster_.Restart(first_);
        step_ = Step::kReelect;
      });
    case Step::kReelect:
      if (term <= last_term_) return;
      if (leader != first_) return Abandon();
      last_term_ = term;
      step_ = Step::kFinalHold;
      // Term-t entries (the new no-op) and anything for B are lost; A's
      // older entries reach the rest.
      cluster_.HoldAppends(first_, term, {second_});
      return AfterHold([this] {
        if (!CrashAfterHold(first_)) return;
        ++cycles_completed_;
        cluster_.Restart(second_);
        // A stays down for several election timeouts, so B can win.
        const env::DurationNs down_ns = random_.UniformRange(kDownMinMs, kDownMaxMs) * kMillisecond;
        const env::NodeId first = first_;
        scheduler_.After(down_ns, kFigure8Tag, [this, first] { cluster_.Restart(first); });
        Rest(down_ns);
      });
    default:
      return;  // A hold is running; its action moves the cycle on.
  }
}

void Figure8Nemesis::Begin(env::NodeId leader, uint64_t term) {
  ++cycle_;
  ++cycles_started_;
  first_ = leader;
  last_term_ = term;
  deadline_ns_ = scheduler_.now_ns() + kCycleDeadlineNs;
  step_ = Step::kFirstHold;
  cluster_.HoldAppends(first_, 0, {});  // Every append A sends is lost.
  AfterHold([this] {
    if (CrashAfterHold(first_)) step_ = Step::kFirstDown;
  });
}

template <typename Action>
void Figure8Nemesis::AfterHold(Action action) {
  const uint64_t cycle = cycle_;
  scheduler_.After(random_.UniformRange(kHoldMinMs, kHoldMaxMs) * kMillisecond, kFigure8Tag,
                   [this, cycle, action] {
                     if (cycle != cycle_ || step_ == Step::kIdle) return;
                     // No new crash once the fault phase is over: the run is healing.
                     if (scheduler_.now_ns() >= end_ns_) return Abandon();
                     action();
                   });
}

bool Figure8Nemesis::CrashAfterHold(env::NodeId node) {
  cluster_.ReleaseAppends();
  // The crash lands in the same event as the release, so nothing held is
  // sent after all.
  if (cluster_.Crash(node)) return true;
  Abandon();
  return false;
}

void Figure8Nemesis::Abandon() {
  cluster_.ReleaseAppends();
  if (step_ != Step::kIdle) {
    cluster_.Restart(first_);
    if (step_ != Step::kFirstHold && step_ != Step::kFirstDown) cluster_.Restart(second_);
  }
  Rest(0);
}

void Figure8Nemesis::Rest(env::DurationNs extra_ns) {
  step_ = Step::kIdle;
  ++cycle_;
  deadline_ns_ = scheduler_.now_ns() + extra_ns +
                 random_.UniformRange(kRestMinMs, kRestMaxMs) * kMillisecond;
}

}  // namespace kv::sim
