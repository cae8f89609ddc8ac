// Clock::After and Executor::Post for a lambda: built in place where the
// implementation offers room (ArmTimer, PostSlot), and otherwise handed to
// the virtual After(OnFire) / Post(Task) as before.

#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "node/env/clock.h"
#include "node/env/executor.h"
#include "node/env/testing/move_counter.h"

namespace kv::env {
namespace {

using kv::env::testing::MoveCounter;

// Keeps its callbacks in a vector; offers room for them when `in_place`.
class VectorClock final : public Clock {
 public:
  explicit VectorClock(bool in_place) : in_place_(in_place) { timers_.reserve(8); }

  TimeNs NowNs() const override { return 0; }
  TimerId After(DurationNs, OnFire on_fire) override {
    ++virtual_calls;
    timers_.push_back(std::move(on_fire));
    return TimerId{timers_.size()};
  }
  bool Cancel(TimerId) override { return false; }

  void FireAll() {
    for (OnFire& on_fire : timers_) on_fire();
  }
  int virtual_calls = 0;

 protected:
  void* ArmTimer(DurationNs, TimerId& id) override {
    if (!in_place_) return nullptr;
    timers_.emplace_back();
    id = TimerId{timers_.size()};
    // The vector's empty OnFire ends here; the caller builds one in its place.
    OnFire* const storage = &timers_.back();
    storage->~OnFire();
    return storage;
  }

 private:
  bool in_place_;
  std::vector<OnFire> timers_;  // Never reallocates (reserved; the tests arm fewer).
};

class VectorExecutor final : public Executor {
 public:
  explicit VectorExecutor(bool in_place) : in_place_(in_place) { tasks_.reserve(8); }

  void Post(Task task) override {
    ++virtual_calls;
    tasks_.push_back(std::move(task));
  }
  void RunAll() {
    for (Task& task : tasks_) task();
  }
  int virtual_calls = 0;

 protected:
  void* PostSlot() override {
    if (!in_place_) return nullptr;
    Task* const storage = &tasks_.emplace_back();
    storage->~Task();
    return storage;
  }

 private:
  bool in_place_;
  std::vector<Task> tasks_;
};

TEST(InPlaceCallbackTest, ClockBuildsALambdaWhereItKeepsIt) {
  for (const bool in_place : {true, false}) {
    VectorClock vector_clock(in_place);
    Clock& clock = vector_clock;
    int moves = 0;
    int fired = 0;
    const TimerId first = clock.After(5, [counter = MoveCounter(&moves), &fired] { ++fired; });
    const TimerId second = clock.After(5, [&fired] { fired += 10; });
    EXPECT_EQ(first.value, 1u);
    EXPECT_EQ(second.value, 2u);
    // In place: moved once, into the OnFire. Otherwise into the OnFire
    // passed to After, and then into the clock's.
    EXPECT_EQ(moves, in_place ? 1 : 2) << "in place " << in_place;
    EXPECT_EQ(vector_clock.virtual_calls, in_place ? 0 : 2);
    vector_clock.FireAll();
    EXPECT_EQ(fired, 11);
  }
}

TEST(InPlaceCallbackTest, ExecutorBuildsALambdaWhereItQueuesIt) {
  for (const bool in_place : {true, false}) {
    VectorExecutor vector_executor(in_place);
    Executor& executor = vector_executor;
    int moves = 0;
    std::vector<int> ran;
    executor.Post([counter = MoveCounter(&moves), &ran] { ran.push_back(1); });
    executor.Post([&ran] { ran.push_back(2); });
    EXPECT_EQ(moves, in_place ? 1 : 2) << "in place " << in_place;
    EXPECT_EQ(vector_executor.virtual_calls, in_place ? 0 : 2);
    vector_executor.RunAll();
    EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  }
}

// An OnFire or a Task itself still goes to the virtual call.
TEST(InPlaceCallbackTest, AnOnFireOrATaskGoesToTheVirtualCall) {
  VectorClock clock(true);
  VectorExecutor executor(true);
  int fired = 0;
  Clock::OnFire on_fire = [&fired] { ++fired; };
  Executor::Task task = [&fired] { fired += 10; };
  static_cast<Clock&>(clock).After(1, std::move(on_fire));
  static_cast<Executor&>(executor).Post(std::move(task));
  EXPECT_EQ(clock.virtual_calls, 1);
  EXPECT_EQ(executor.virtual_calls, 1);
  clock.FireAll();
  executor.RunAll();
  EXPECT_EQ(fired, 11);
}

}  // namespace
}  // namespace kv::env
