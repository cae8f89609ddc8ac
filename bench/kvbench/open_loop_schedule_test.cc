#include "bench/kvbench/open_loop_schedule.h"

#include <vector>

#include "gtest/gtest.h"

namespace kv::bench {
namespace {

TEST(OpenLoopScheduleTest, IntendedTimesAreAtTheRate) {
  const int64_t start = 5'000'000'000;
  OpenLoopSchedule schedule(start, 1000.0);  // One per millisecond.
  for (uint64_t k = 0; k < 10000; ++k) EXPECT_EQ(schedule.IntendedTimeNs(k), start + static_cast<int64_t>(k) * 1'000'000);
  // A rate that does not divide a second evenly does not drift: request
  // 3 * 10^6 of a 3/s... here 3,000/s is due exactly 1,000 s later.
  OpenLoopSchedule thirds(0, 3000.0);
  EXPECT_EQ(thirds.IntendedTimeNs(3'000'000), 1'000'000'000'000);
  EXPECT_EQ(thirds.IntendedTimeNs(1), 333'333);
  EXPECT_EQ(thirds.IntendedTimeNs(2), 666'666);
}

TEST(OpenLoopScheduleTest, TakeDueReturnsEachRequestOnceInOrder) {
  OpenLoopSchedule schedule(0, 10'000.0);  // Every 100 us.
  std::vector<int64_t> due;
  EXPECT_EQ(schedule.TakeDue(0, due), 1u);  // Request 0 is due at start.
  EXPECT_EQ(schedule.TakeDue(50'000, due), 0u);
  EXPECT_EQ(schedule.TakeDue(100'000, due), 1u);
  EXPECT_EQ(schedule.TakeDue(100'000, due), 0u);
  EXPECT_EQ(due, (std::vector<int64_t>{0, 100'000}));
  EXPECT_EQ(schedule.NextDueNs(), 200'000);
}

TEST(OpenLoopScheduleTest, LateTakersKeepTheIntendedTimes) {
  // The driver was stalled for 10 ms (a GC pause, a slow server): when it
  // looks again, the 100 requests due meanwhile come out with the times
  // they were due at, so their latency includes the stall.
  OpenLoopSchedule schedule(1'000, 10'000.0);
  std::vector<int64_t> due;
  schedule.TakeDue(1'000, due);
  due.clear();
  const int64_t late_now = 1'000 + 10'000'000;
  EXPECT_EQ(schedule.TakeDue(late_now, due), 100u);
  for (size_t i = 0; i < due.size(); ++i) EXPECT_EQ(due[i], 1'000 + static_cast<int64_t>(i + 1) * 100'000);
  EXPECT_LT(due.front(), late_now);
  EXPECT_EQ(due.back(), late_now);
  EXPECT_EQ(schedule.taken(), 101u);
}

TEST(OpenLoopScheduleTest, TotalOverAWindowMatchesTheRate) {
  OpenLoopSchedule schedule(0, 57'000.0);
  std::vector<int64_t> due;
  // Poll at irregular 0.7 ms steps for one second.
  for (int64_t now = 0; now < 1'000'000'000; now += 700'000) schedule.TakeDue(now, due);
  schedule.TakeDue(999'999'999, due);
  EXPECT_EQ(due.size(), 57'000u);
  for (size_t i = 1; i < due.size(); ++i) ASSERT_LT(due[i - 1], due[i]);
}

}  // namespace
}  // namespace kv::bench
