#include "sim/sim_clock.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_executor.h"

namespace kv::sim {
namespace {

using env::kMillisecond;
using env::kSecond;

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
