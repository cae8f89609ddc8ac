#include "sim/scheduler.h"

#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "node/env/random.h"

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

TEST(SchedulerTest, EventsRunInTimeOrder) {
  Scheduler s;
  std::vector<int> order;
  s.At(30, 0, [&] { order.push_back(3); });
  s.At(10, 0, [&] { order.push_back(1); });
  s.At(20, 0, [&] { order.push_back(2); });
  s.RunUntil(100);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.now_ns(), 100);
}

TEST(SchedulerTest, SimultaneousEventsRunInScheduleOrder) {
  Scheduler s;
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) s.At(5, 0, [&order, i] { order.push_back(i); });
  s.RunUntil(5);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

// Near events (due within a millisecond) and timers sit in different heaps;
// together they must still run in (time, schedule order), including events
// scheduled by running events, ties, and cancellations in either heap.
TEST(SchedulerTest, NearAndFarEventsInterleaveInTimeThenScheduleOrder) {
  Scheduler s;
  env::Random random(11);
  struct Ran {
    env::TimeNs time;
    uint64_t number;  // Order of scheduling.
  };
  std::vector<Ran> ran;
  uint64_t scheduled = 0;
  std::vector<EventId> ids;
  std::function<void(int)> schedule = [&](int depth) {
    // Delays from nanoseconds to seconds, on a coarse grid so that ties occur.
    const env::DurationNs delay =
        random.Chance(1, 2) ? random.UniformRange(0, 40) * 50'000 : random.UniformRange(0, 40) * 100'000'000;
    const uint64_t number = scheduled++;
    ids.push_back(s.After(delay, number, [&, number, depth] {
      ran.push_back(Ran{s.now_ns(), number});
      if (depth < 3) {
        schedule(depth + 1);
        schedule(depth + 1);
      }
    }));
  };
  for (int i = 0; i < 500; ++i) schedule(0);
  uint64_t cancelled = 0;
  for (size_t i = 0; i < ids.size(); i += 7) cancelled += s.Cancel(ids[i]);
  s.RunUntil(100 * env::kSecond);
  ASSERT_GT(ran.size(), 2'000u);
  EXPECT_EQ(ran.size() + cancelled, scheduled);
  for (size_t i = 1; i < ran.size(); ++i) {
    ASSERT_LE(ran[i - 1].time, ran[i].time) << "event " << i;
    if (ran[i - 1].time == ran[i].time) {
      ASSERT_LT(ran[i - 1].number, ran[i].number) << "event " << i;
    }
  }
}

TEST(SchedulerTest, CancelledEventsNeverRun) {
  Scheduler s;
  int ran = 0;
  EventId a = s.At(10, 0, [&] { ran += 1; });
  s.At(20, 0, [&] { ran += 10; });
  EXPECT_TRUE(s.Cancel(a));
  EXPECT_FALSE(s.Cancel(a));  // Already cancelled.
  s.RunUntil(100);
  EXPECT_EQ(ran, 10);
  EXPECT_EQ(s.events_processed(), 1u);
}

TEST(SchedulerTest, StaleIdDoesNotCancelAReusedSlot) {
  Scheduler s;
  int ran = 0;
  EventId first = s.At(1, 0, [&] { ++ran; });
  s.RunUntil(1);
  s.At(2, 0, [&] { ++ran; });  // Likely reuses the slot of `first`.
  EXPECT_FALSE(s.Cancel(first));
  s.RunUntil(2);
  EXPECT_EQ(ran, 2);
}

TEST(SchedulerTest, EventsScheduledDuringRunAreOrderedToo) {
  Scheduler s;
  std::vector<int64_t> times;
  s.At(10, 0, [&] {
    times.push_back(s.now_ns());
    s.After(5, 0, [&] { times.push_back(s.now_ns()); });
    s.After(0, 0, [&] { times.push_back(s.now_ns()); });
  });
  s.RunUntil(100);
  EXPECT_EQ(times, (std::vector<int64_t>{10, 10, 15}));
}

// Events at `base_ns` + [0, 1000): 0 puts them in the heaps, a second
// (beyond the staging horizon) among the staged events.
void ExpectManyCancellationsShrinkTheQueueWithoutChangingTheOrder(env::TimeNs base_ns) {
  Scheduler a;  // Cancels most of its events.
  Scheduler b;  // Schedules only the survivors, in the same order.
  std::vector<int> ran_a, ran_b;
  std::vector<EventId> ids;
  for (int i = 0; i < 10'000; ++i) {
    const env::TimeNs t = base_ns + (i * 7919) % 1000;  // Many events share a time.
    ids.push_back(a.At(t, static_cast<uint64_t>(i), [&ran_a, i] { ran_a.push_back(i); }));
    if (i % 10 == 0) b.At(t, static_cast<uint64_t>(i), [&ran_b, i] { ran_b.push_back(i); });
  }
  for (int i = 0; i < 10'000; ++i) {
    if (i % 10 != 0) {
      ASSERT_TRUE(a.Cancel(ids[static_cast<size_t>(i)]));
    }
  }
  EXPECT_EQ(a.pending_count(), 1'000u);
  EXPECT_LT(a.heap_size(), 3'000u);  // Compacted, not 10,000 entries.
  a.RunUntil(base_ns + 1000);
  b.RunUntil(base_ns + 1000);
  EXPECT_EQ(ran_a.size(), 1'000u);
  EXPECT_EQ(ran_a, ran_b);
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_EQ(a.pending_count(), 0u);
  EXPECT_EQ(a.heap_size(), 0u);
}

TEST(SchedulerTest, ManyCancellationsShrinkTheHeapWithoutChangingTheOrder) {
  ExpectManyCancellationsShrinkTheQueueWithoutChangingTheOrder(0);
}

TEST(SchedulerTest, ManyCancellationsShrinkTheStagedEventsWithoutChangingTheOrder) {
  ExpectManyCancellationsShrinkTheQueueWithoutChangingTheOrder(env::kSecond);
}

// A staged event (due far ahead) runs in its place among events scheduled
// later and due sooner or at the same time, and cancelled ones never run.
TEST(SchedulerTest, StagedEventsRunInOrderWithLaterScheduledOnes) {
  Scheduler s;
  std::vector<int> ran;
  s.At(100 * env::kMillisecond, 0, [&] { ran.push_back(1); });
  const EventId cancelled = s.At(120 * env::kMillisecond, 0, [&] { ran.push_back(99); });
  s.At(200 * env::kMillisecond, 0, [&] { ran.push_back(3); });
  s.RunUntil(90 * env::kMillisecond);
  EXPECT_TRUE(ran.empty());
  EXPECT_TRUE(s.Cancel(cancelled));
  // Scheduled after the staged events, due at the same instant as one and
  // just before another: near and far heap entries.
  s.At(100 * env::kMillisecond, 0, [&] { ran.push_back(2); });
  s.At(200 * env::kMillisecond - 1, 0, [&] { ran.push_back(21); });
  s.RunUntil(150 * env::kMillisecond);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_TRUE(s.RunOne());
  EXPECT_TRUE(s.RunOne());
  EXPECT_FALSE(s.RunOne());
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 21, 3}));
  EXPECT_EQ(s.now_ns(), 200 * env::kMillisecond);
  EXPECT_EQ(s.pending_count(), 0u);
}

TEST(SchedulerTest, PastTimesAreClampedToNow) {
  Scheduler s;
  s.RunUntil(50);
  int64_t seen = -1;
  s.At(10, 0, [&] { seen = s.now_ns(); });
  s.RunUntil(60);
  EXPECT_EQ(seen, 50);
}

uint64_t DigestOf(uint64_t tag_base) {
  Scheduler s;
  for (int i = 0; i < 100; ++i) s.At(i * 7 % 13, tag_base + i, [] {});
  s.RunUntil(1000);
  return s.digest();
}

TEST(SchedulerTest, DigestIsAFunctionOfTheEvents) {
  EXPECT_EQ(DigestOf(1), DigestOf(1));
  EXPECT_NE(DigestOf(1), DigestOf(2));
}

TEST(SchedulerTest, CancelledEventsAreNotInTheDigest) {
  Scheduler a, b;
  a.At(1, 5, [] {});
  b.At(1, 5, [] {});
  EventId extra = b.At(2, 6, [] {});
  b.Cancel(extra);
  a.RunUntil(10);
  b.RunUntil(10);
  EXPECT_EQ(a.digest(), b.digest());
}

TEST(SchedulerTest, AfterEventHookRunsAfterEachEvent) {
  Scheduler s;
  int hooks = 0;
  s.SetAfterEventHook([&] { ++hooks; });
  for (int i = 0; i < 5; ++i) s.At(i, 0, [] {});
  s.RunUntil(10);
  EXPECT_EQ(hooks, 5);
}

// A trail and a hook both watch every event, and each stops when unset.
TEST(SchedulerTest, TrailAndHookWatchEachEventUntilUnset) {
  Scheduler s;
  int hooks = 0;
  std::vector<TrailPoint> trail;
  for (int i = 0; i < 5; ++i) s.At(i, 0, [] {});
  s.RecordTrail(&trail, nullptr);
  s.RunUntil(0);
  EXPECT_EQ(trail.size(), 1u);
  s.SetAfterEventHook([&] { ++hooks; });
  s.RunUntil(2);
  EXPECT_EQ(hooks, 2);
  EXPECT_EQ(trail.size(), 3u);
  s.SetAfterEventHook(nullptr);
  s.RunUntil(3);
  EXPECT_EQ(hooks, 2);
  EXPECT_EQ(trail.size(), 4u);
  s.RecordTrail(nullptr, nullptr);
  s.SetAfterEventHook([&] { ++hooks; });
  s.RunUntil(10);
  EXPECT_EQ(hooks, 3);
  EXPECT_EQ(trail.size(), 4u);
}

TEST(SchedulerTest, StopHaltsTheRun) {
  Scheduler s;
  int ran = 0;
  s.At(1, 0, [&] { ++ran; s.Stop(); });
  s.At(2, 0, [&] { ++ran; });
  s.RunUntil(10);
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(s.stopped());
}

// The limit stops the run after the event that reaches it, as a hook
// calling Stop() did, and leaves time where that event ran.
TEST(SchedulerTest, EventLimitStopsAfterThatManyEvents) {
  Scheduler s;
  int ran = 0;
  for (int i = 1; i <= 5; ++i) s.At(i, 0, [&] { ++ran; });
  s.SetEventLimit(3);
  EXPECT_FALSE(s.stopped());
  s.RunUntil(10);
  EXPECT_EQ(ran, 3);
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.now_ns(), 3);
  EXPECT_EQ(s.events_processed(), 3u);
  // Nothing more runs, whatever the later calls.
  s.RunUntil(20);
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(s.now_ns(), 3);
}

TEST(SchedulerTest, EventLimitOnlyLowers) {
  Scheduler s;
  int ran = 0;
  for (int i = 1; i <= 5; ++i) s.At(i, 0, [&] { ++ran; });
  s.SetEventLimit(2);
  s.SetEventLimit(4);  // Ignored: the limit stays 2.
  s.RunUntil(10);
  EXPECT_EQ(ran, 2);
  // A Stop() is not undone by a limit set afterwards.
  Scheduler t;
  t.At(1, 0, [&] { t.Stop(); });
  t.At(2, 0, [] {});
  t.RunUntil(10);
  t.SetEventLimit(100);
  EXPECT_TRUE(t.stopped());
  EXPECT_EQ(t.events_processed(), 1u);
}

// Every event that runs is the earliest pending one by (time, schedule
// order), checked against a std::set at each step, over random schedules
// with many ties, near and far delays, cancellations (enough to compact the
// heaps) and events that schedule more.
TEST(SchedulerTest, RunsEventsInTheOrderOfASortedReference) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    env::Random random(seed);
    Scheduler s;
    std::set<std::pair<env::TimeNs, uint64_t>> pending;  // (time, number).
    std::vector<std::pair<EventId, std::pair<env::TimeNs, uint64_t>>> cancellable;
    uint64_t next_number = 0;
    uint64_t ran = 0;
    std::function<void()> schedule_some;
    std::function<void(std::pair<env::TimeNs, uint64_t>)> run = [&](std::pair<env::TimeNs, uint64_t> key) {
      ASSERT_FALSE(pending.empty());
      ASSERT_EQ(*pending.begin(), key) << "seed " << seed << " event " << ran;
      pending.erase(pending.begin());
      ++ran;
      if (random.Chance(1, 3)) schedule_some();
    };
    schedule_some = [&] {
      const uint64_t count = random.Uniform(4);
      for (uint64_t i = 0; i < count; ++i) {
        // Ties at a few instants, deliveries within the near horizon, timers
        // beyond it, and some far enough ahead to be staged.
        const uint64_t kind = random.Uniform(4);
        const env::DurationNs delay = kind == 0   ? static_cast<env::DurationNs>(random.Uniform(3)) * 1000
                                      : kind == 1 ? static_cast<env::DurationNs>(random.Uniform(900'000))
                                      : kind == 2 ? static_cast<env::DurationNs>(random.Uniform(50'000'000))
                                                  : static_cast<env::DurationNs>(random.Uniform(3)) * 100'000'000;
        const std::pair<env::TimeNs, uint64_t> key{s.now_ns() + delay, next_number++};
        pending.insert(key);
        const EventId id = s.After(delay, key.second, [&run, key] { run(key); });
        if (random.Chance(1, 2)) cancellable.push_back({id, key});
      }
      while (cancellable.size() > 64 || (!cancellable.empty() && random.Chance(1, 2))) {
        const size_t i = random.Uniform(cancellable.size());
        if (s.Cancel(cancellable[i].first)) pending.erase(cancellable[i].second);
        cancellable[i] = cancellable.back();
        cancellable.pop_back();
      }
    };
    for (int i = 0; i < 3'000; ++i) schedule_some();
    // Every way of running: one call, steps that stop between events (and
    // between a staged event and the events before it), one event at a time.
    if (seed % 3 == 0) {
      s.RunUntil(10 * env::kSecond);
    } else if (seed % 3 == 1) {
      for (env::TimeNs t = 0; t <= 10 * env::kSecond; t += 7 * env::kMillisecond) s.RunUntil(t);
    } else {
      while (s.RunOne()) {
      }
    }
    EXPECT_GT(ran, 3'000u);
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(s.pending_count(), 0u);
  }
}

// Near events (due within a millisecond) are kept in a sorted run of at
// most 16, which drifts through its buffer and moves back to its start;
// the ones past 16 go to the far heap. Deliveries-like delays, with the
// number pending swinging from a few to over a hundred, ties and
// cancellations (enough to compact the queues): every event still runs in
// (time, schedule order).
TEST(SchedulerTest, NearEventsRunInOrderThroughTheSortedRunAndItsOverflow) {
  env::Random random(7);
  Scheduler s;
  std::set<std::pair<env::TimeNs, uint64_t>> pending;  // (time, number).
  std::vector<std::pair<EventId, std::pair<env::TimeNs, uint64_t>>> cancellable;
  uint64_t next_number = 0;
  uint64_t ran = 0;
  std::function<void(uint64_t)> schedule;
  std::function<void(std::pair<env::TimeNs, uint64_t>)> run = [&](std::pair<env::TimeNs, uint64_t> key) {
    ASSERT_FALSE(pending.empty());
    ASSERT_EQ(*pending.begin(), key) << "event " << ran;
    pending.erase(pending.begin());
    ++ran;
    // Bursts (up to 6 at once) while few are pending, single ones after.
    if (ran < 40'000) schedule(pending.size() < 100 ? random.Uniform(7) : random.Uniform(2));
  };
  schedule = [&](uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t kind = random.Uniform(8);
      const env::DurationNs delay = kind == 0   ? 0
                                    : kind == 1 ? static_cast<env::DurationNs>(random.Uniform(1'000'000))
                                                : 100'000 + static_cast<env::DurationNs>(random.Uniform(50'001));
      const std::pair<env::TimeNs, uint64_t> key{s.now_ns() + delay, next_number++};
      pending.insert(key);
      const EventId id = s.After(delay, key.second, [&run, key] { run(key); });
      if (random.Chance(1, 4)) cancellable.push_back({id, key});
    }
    while (cancellable.size() > 2'000 || (!cancellable.empty() && random.Chance(1, 3))) {
      const size_t i = random.Uniform(cancellable.size());
      if (s.Cancel(cancellable[i].first)) pending.erase(cancellable[i].second);
      cancellable[i] = cancellable.back();
      cancellable.pop_back();
    }
  };
  schedule(50);
  s.RunUntil(100 * env::kSecond);
  EXPECT_GT(ran, 40'000u);
  EXPECT_TRUE(pending.empty());
  EXPECT_EQ(s.pending_count(), 0u);
  EXPECT_EQ(s.heap_size(), 0u);
}

}  // namespace
}  // namespace kv::sim
