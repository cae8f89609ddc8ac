#include "sim/sim_clock.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_executor.h"

namespace kv::sim {
namespace {

using env::kMillisecond;
using env::kSecond;

// Counts the moves of the callables that capture one, and how many exist.
// One pointer, so that such a callable with one more capture fits inside
// an AnyInvocable (16 bytes), which then moves the callable when it moves.
struct Counts {
  int moves = 0;
  int live = 0;
};
struct Tracked {
  Counts* counts;
  explicit Tracked(Counts* c) : counts(c) { ++counts->live; }
  Tracked(const Tracked& other) : counts(other.counts) {
    ++counts->moves;
    ++counts->live;
  }
  Tracked(Tracked&& other) noexcept : counts(other.counts) {
    ++counts->moves;
    ++counts->live;
  }
  Tracked& operator=(const Tracked&) = delete;
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() { --counts->live; }
};

TEST(SimClockTest, OffsetAndDriftAccumulateAsConfigured) {
  Scheduler s;
  NodeContext node(s, 0);
  // +100 ppm = 100'000 ppb: gains 100 us per true second.
  SimClock fast(s, node, 5 * kSecond, 100'000);
  SimClock slow(s, node, 0, -250'000);
  s.RunUntil(10 * kSecond);
  EXPECT_EQ(fast.NowNs(), 5 * kSecond + 10 * kSecond + 1 * kMillisecond);
  EXPECT_EQ(slow.NowNs(), 10 * kSecond - 2'500'000);
}

// The exact formulas in 128 bits, as SimClock computed them before it took
// a 64-bit path while the products fit.
env::TimeNs ReferenceNow(env::TimeNs true_ns, env::TimeNs offset_ns, int64_t drift_ppb) {
  const __int128 elapsed = true_ns;
  return offset_ns + static_cast<int64_t>(elapsed * (1'000'000'000 + drift_ppb) / 1'000'000'000);
}
env::DurationNs ReferenceLocalToTrue(env::DurationNs local_ns, int64_t drift_ppb) {
  if (local_ns <= 0) return 0;
  const __int128 rate = 1'000'000'000 + drift_ppb;
  return static_cast<int64_t>((static_cast<__int128>(local_ns) * 1'000'000'000 + rate - 1) / rate);
}

TEST(SimClockTest, ConversionsMatchThe128BitFormulasOnBothSidesOfTheFastPath) {
  const int64_t kDrifts[] = {-999'999'999, -250'000, -1, 0, 1, 50'000, 500'000'000, 4'000'000'000};
  // Around 2^64 / 1e9 ns (about 18.4 s), where local * 1e9 stops fitting in
  // 64 bits, plus ordinary timer delays.
  const int64_t kBoundary = static_cast<int64_t>(UINT64_MAX / 1'000'000'000);
  std::vector<env::DurationNs> locals = {1, 2, 999, 1'000'000, 150 * kMillisecond, 5 * kSecond,
                                         kBoundary - 1, kBoundary, kBoundary + 1, 100 * kSecond,
                                         INT64_MAX / 1'000'000'000 * 1000};
  for (int64_t i = -2000; i <= 2000; ++i) locals.push_back(kBoundary + i);
  for (int64_t drift : kDrifts) {
    Scheduler s;
    NodeContext node(s, 0);
    SimClock clock(s, node, 0, drift);
    for (env::DurationNs local : locals) {
      ASSERT_EQ(clock.LocalToTrue(local), ReferenceLocalToTrue(local, drift))
          << "local " << local << " drift " << drift;
    }
  }
  // NowNs at true times on both sides of the 64-bit product's limit.
  const uint64_t kTrueLimit = UINT64_MAX / (1'000'000'000 + 50'000);
  for (int64_t drift : kDrifts) {
    Scheduler s;
    NodeContext node(s, 0);
    SimClock clock(s, node, 7 * kSecond, drift);
    const uint64_t limit = UINT64_MAX / static_cast<uint64_t>(1'000'000'000 + drift);
    std::vector<env::TimeNs> times = {1, 999, 3 * kSecond};
    for (int64_t i = -3; i <= 3; ++i) times.push_back(static_cast<env::TimeNs>(limit) + i);
    times.push_back(static_cast<env::TimeNs>(kTrueLimit));
    times.push_back(40 * kSecond);
    std::sort(times.begin(), times.end());
    for (env::TimeNs t : times) {
      if (t < s.now_ns()) continue;
      s.RunUntil(t);
      ASSERT_EQ(clock.NowNs(), ReferenceNow(t, 7 * kSecond, drift)) << "true " << t << " drift " << drift;
    }
  }
}

TEST(SimClockTest, TimersFireInLocalTime) {
  Scheduler s;
  NodeContext node(s, 0);
  SimClock clock(s, node, 0, 500'000'000);  // Runs 1.5x fast.
  env::TimeNs local_at_fire = -1, true_at_fire = -1;
  clock.After(300 * kMillisecond, [&] {
    local_at_fire = clock.NowNs();
    true_at_fire = s.now_ns();
  });
  s.RunUntil(kSecond);
  EXPECT_EQ(true_at_fire, 200 * kMillisecond);
  EXPECT_GE(local_at_fire, 300 * kMillisecond);
}

TEST(SimClockTest, TimersFireInDeadlineOrderAndCancelledOnesNever) {
  Scheduler s;
  NodeContext node(s, 0);
  SimClock clock(s, node, 0, 0);
  std::vector<int> fired;
  clock.After(30, [&] { fired.push_back(30); });
  env::TimerId cancelled = clock.After(20, [&] { fired.push_back(20); });
  clock.After(10, [&] { fired.push_back(10); });
  clock.After(10, [&] { fired.push_back(11); });  // Same deadline: set order.
  EXPECT_TRUE(clock.Cancel(cancelled));
  EXPECT_FALSE(clock.Cancel(cancelled));
  s.RunUntil(100);
  EXPECT_EQ(fired, (std::vector<int>{10, 11, 30}));
}

TEST(SimClockTest, DriftChangeKeepsTimeContinuousAndMonotonic) {
  Scheduler s;
  NodeContext node(s, 0);
  SimClock clock(s, node, 0, 0);
  s.RunUntil(kSecond);
  const env::TimeNs before = clock.NowNs();
  clock.SetDriftPpb(-500'000'000);  // Now runs at half speed.
  EXPECT_EQ(clock.NowNs(), before);
  s.RunUntil(2 * kSecond);
  EXPECT_EQ(clock.NowNs(), before + kSecond / 2);
  clock.StepForward(kSecond);
  EXPECT_EQ(clock.NowNs(), before + kSecond / 2 + kSecond);
}

TEST(SimClockTest, CrashDropsPendingTimersAndTasks) {
  Scheduler s;
  NodeContext node(s, 0);
  SimClock clock(s, node, 0, 0);
  SimExecutor executor(node);
  int ran = 0;
  clock.After(10, [&] { ++ran; });
  executor.Post([&] { ++ran; });
  node.Crash();
  clock.DropAllTimers();
  node.Restart();
  s.RunUntil(100);
  EXPECT_EQ(ran, 0);
}

TEST(SimClockTest, PauseDefersTimersAndKeepsTheirOrder) {
  Scheduler s;
  NodeContext node(s, 0);
  SimClock clock(s, node, 0, 0);
  std::vector<std::pair<int, env::TimeNs>> fired;
  clock.After(10, [&] { fired.push_back({1, s.now_ns()}); });
  clock.After(20, [&] { fired.push_back({2, s.now_ns()}); });
  node.PauseUntil(50);
  s.RunUntil(100);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], (std::pair<int, env::TimeNs>{1, 50}));
  EXPECT_EQ(fired[1], (std::pair<int, env::TimeNs>{2, 50}));
}

// A pause moves a timer to a new scheduler event; cancelling the timer
// then must still stop it, though its original event is gone.
TEST(SimClockTest, CancellingAPauseDeferredTimerStopsIt) {
  Scheduler s;
  NodeContext node(s, 0);
  SimClock clock(s, node, 0, 0);
  std::vector<int> fired;
  const env::TimerId deferred = clock.After(10, [&] { fired.push_back(1); });
  clock.After(20, [&] { fired.push_back(2); });
  node.PauseUntil(50);
  s.RunUntil(30);  // Both came due and were deferred to 50.
  EXPECT_EQ(clock.pending_timer_count(), 2u);
  EXPECT_TRUE(clock.Cancel(deferred));
  EXPECT_FALSE(clock.Cancel(deferred));
  EXPECT_EQ(clock.pending_timer_count(), 1u);
  s.RunUntil(100);
  EXPECT_EQ(fired, (std::vector<int>{2}));
  EXPECT_EQ(clock.pending_timer_count(), 0u);
}

// A lambda's OnFire is built in the timer's event (SimClock::ArmTimer):
// the lambda is moved once, into it, and moved again only if a pause
// defers the event. Each timer's callable is destroyed once it fired, was
// cancelled or was dropped by a crash.
TEST(SimClockTest, ALambdaTimerIsBuiltInItsEvent) {
  Scheduler s;
  NodeContext node(s, 0);
  SimClock sim_clock(s, node, 0, 0);
  env::Clock& clock = sim_clock;
  Counts counts;
  std::vector<int> fired;
  clock.After(10, [tracked = Tracked(&counts), &fired] { fired.push_back(1); });
  const env::TimerId cancelled =
      clock.After(20, [tracked = Tracked(&counts), &fired] { fired.push_back(2); });
  clock.After(30, [tracked = Tracked(&counts), &fired] { fired.push_back(3); });
  EXPECT_EQ(counts.moves, 3);
  EXPECT_EQ(counts.live, 3);
  EXPECT_TRUE(clock.Cancel(cancelled));
  EXPECT_EQ(counts.live, 2);
  s.RunUntil(10);
  EXPECT_EQ(fired, (std::vector<int>{1}));
  EXPECT_EQ(counts.live, 1);
  node.PauseUntil(40);
  s.RunUntil(35);  // Timer 3 came due and was deferred: its event moved.
  EXPECT_EQ(counts.moves, 4);
  EXPECT_EQ(counts.live, 1);
  s.RunUntil(40);
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
  EXPECT_EQ(counts.live, 0);
  // The OnFire path (a callback that already is an OnFire) still works.
  clock.After(10, env::Clock::OnFire([tracked = Tracked(&counts), &fired] { fired.push_back(4); }));
  clock.After(20, [tracked = Tracked(&counts), &fired] { fired.push_back(5); });
  node.Crash();
  sim_clock.DropAllTimers();
  node.Restart();
  s.RunUntil(100);  // Both events dropped: the node crashed.
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
  EXPECT_EQ(counts.live, 0);
}

// A lambda's Task is built where it is queued (NodeContext::PostSlot):
// moved once, into it. Queued tasks are destroyed once run, when the node
// crashes, or with the node.
TEST(SimExecutorTest, ALambdaTaskIsBuiltInTheQueue) {
  Scheduler s;
  auto node = std::make_unique<NodeContext>(s, 0);
  SimExecutor sim_executor(*node);
  env::Executor& executor = sim_executor;
  Counts counts;
  std::vector<int> ran;
  executor.Post([tracked = Tracked(&counts), &ran] { ran.push_back(1); });
  executor.Post(env::Executor::Task([tracked = Tracked(&counts), &ran] { ran.push_back(2); }));
  EXPECT_EQ(counts.moves, 1 + 2);  // The Task: into it, then into the queue.
  EXPECT_EQ(counts.live, 2);
  s.RunUntil(0);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(counts.live, 0);
  executor.Post([tracked = Tracked(&counts), &ran] { ran.push_back(3); });
  node->Crash();
  EXPECT_EQ(counts.live, 0);
  node->Restart();
  executor.Post([tracked = Tracked(&counts), &ran] { ran.push_back(4); });
  EXPECT_EQ(counts.live, 1);
  node.reset();  // Before the drain event runs: the node is gone.
  EXPECT_EQ(counts.live, 0);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

TEST(SimExecutorTest, PostedTasksRunLaterInPostOrder) {
  Scheduler s;
  NodeContext node(s, 0);
  SimExecutor executor(node);
  std::vector<int> order;
  executor.Post([&] {
    order.push_back(1);
    executor.Post([&] { order.push_back(3); });
  });
  executor.Post([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());  // Never inline.
  s.RunUntil(0);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(SimExecutorTest, TasksPostedInAnEventRunWhenItReturnsBeforeOtherEvents) {
  Scheduler s;
  NodeContext node(s, 0);
  SimClock clock(s, node, 0, 0);
  SimExecutor executor(node);
  std::vector<std::string> order;
  clock.After(10, [&] {
    executor.Post([&] { order.push_back("posted"); });
    order.push_back("timer a");
  });
  clock.After(10, [&] { order.push_back("timer b"); });
  const uint64_t events_before = s.events_processed();
  s.RunUntil(10);
  EXPECT_EQ(order, (std::vector<std::string>{"timer a", "posted", "timer b"}));
  // The posted task took no event of its own.
  EXPECT_EQ(s.events_processed() - events_before, 2u);
}

// Posted tasks run where they are queued; a running task that posts many
// more (the queue grows by whole blocks meanwhile) keeps its own state.
TEST(SimExecutorTest, ATaskThatPostsManyMoreRunsIntact) {
  Scheduler s;
  NodeContext node(s, 0);
  SimExecutor executor(node);
  std::vector<int> order;
  executor.Post([&, tag = std::string(64, 'a')] {
    for (int i = 0; i < 2'000; ++i) {
      executor.Post([&order, i] { order.push_back(i); });
    }
    EXPECT_EQ(tag, std::string(64, 'a'));
    order.push_back(-1);
  });
  s.RunUntil(1);
  ASSERT_EQ(order.size(), 2'001u);
  EXPECT_EQ(order[0], -1);
  for (int i = 0; i < 2'000; ++i) EXPECT_EQ(order[static_cast<size_t>(i) + 1], i);
}

TEST(SimExecutorTest, ACrashDropsTasksPostedOutsideAnEvent) {
  Scheduler s;
  NodeContext node(s, 0);
  SimExecutor executor(node);
  int ran = 0;
  executor.Post([&] { ++ran; });
  node.Crash();
  node.Restart();
  executor.Post([&] { ran += 10; });
  s.RunUntil(100);
  EXPECT_EQ(ran, 10);
}

}  // namespace
}  // namespace kv::sim
