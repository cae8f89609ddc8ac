#include "sim/event_callback.h"

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "node/env/testing/move_counter.h"
#include "sim/node_context.h"
#include "sim/scheduler.h"

namespace kv::sim {
namespace {

TEST(EventCallbackTest, NullByDefaultAndAfterReset) {
  EventCallback callback;
  EXPECT_TRUE(callback == nullptr);
  int calls = 0;
  callback = [&calls] { ++calls; };
  EXPECT_TRUE(callback != nullptr);
  callback();
  EXPECT_EQ(calls, 1);
  callback = nullptr;
  EXPECT_TRUE(callback == nullptr);
}

// A small closure (inline) and one larger than the inline buffer (heap) both
// run, move, and destroy what they own exactly once.
TEST(EventCallbackTest, InlineAndHeapClosuresMoveAndDestroyOnce) {
  auto owned = std::make_shared<int>(0);
  std::array<char, EventCallback::kInlineBytes + 8> big{};
  big[0] = 'x';
  {
    std::string text(100, 'v');
    EventCallback small = [owned, text = std::move(text)] { *owned += static_cast<int>(text.size()); };
    EventCallback large = [owned, big] { *owned += big[0]; };
    EXPECT_EQ(owned.use_count(), 3);
    EventCallback moved_small = std::move(small);
    EventCallback moved_large(std::move(large));
    EXPECT_TRUE(small == nullptr);  // NOLINT: testing the moved-from state.
    EXPECT_TRUE(large == nullptr);  // NOLINT
    EXPECT_EQ(owned.use_count(), 3);
    moved_small();
    moved_large();
    EXPECT_EQ(*owned, 100 + 'x');
    // Moving onto a non-null callback destroys what it held.
    moved_small = std::move(moved_large);
    EXPECT_EQ(owned.use_count(), 2);
  }
  EXPECT_EQ(owned.use_count(), 1);
}

// RunOnce (the scheduler's way to run an event) runs the callable once, then
// destroys what it owns, inline or on the heap, and leaves the callback null.
TEST(EventCallbackTest, RunOnceRunsDestroysAndNulls) {
  auto owned = std::make_shared<int>(0);
  std::array<char, EventCallback::kInlineBytes + 8> big{};
  big[0] = 'x';
  EventCallback small = [owned] { *owned += 1; };
  EventCallback large = [owned, big] { *owned += big[0]; };
  EXPECT_EQ(owned.use_count(), 3);
  small.RunOnce();
  large.RunOnce();
  EXPECT_EQ(*owned, 1 + 'x');
  EXPECT_TRUE(small == nullptr);
  EXPECT_TRUE(large == nullptr);
  EXPECT_EQ(owned.use_count(), 1);
}

// Callbacks survive the relocation of the vector that holds them, as the
// scheduler's slot array grows.
TEST(EventCallbackTest, SurvivesVectorGrowth) {
  std::vector<EventCallback> callbacks;
  std::vector<int> ran;
  for (int i = 0; i < 100; ++i) {
    callbacks.emplace_back([&ran, i, pad = std::string(40, 'p')] { ran.push_back(i); });
  }
  for (EventCallback& c : callbacks) c();
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[i], i);
}

using kv::env::testing::MoveCounter;

// EmplaceResultOf builds the closure where it stays, inline or on the heap;
// Emplace of a closure moves it once.
TEST(EventCallbackTest, EmplaceResultOfMovesNothing) {
  int moves = 0;
  int calls = 0;
  std::array<char, EventCallback::kInlineBytes> big{};
  EventCallback small;
  small.EmplaceResultOf([&] { return [counter = MoveCounter(&moves), &calls] { ++calls; }; });
  EventCallback large;
  large.EmplaceResultOf(
      [&] { return [counter = MoveCounter(&moves), big, &calls] { calls += 1 + big[0]; }; });
  EXPECT_EQ(moves, 0);
  small();
  large();
  EXPECT_EQ(calls, 2);
  EventCallback emplaced;
  emplaced.Emplace([counter = MoveCounter(&moves)] {});
  EXPECT_EQ(moves, 1);
}

// The scheduler and a node build such closures in the event's slot too
// (SimClock arms every timer this way), and the event still belongs to the
// node: it runs, or is dropped after a crash.
TEST(EventCallbackTest, SchedulerAndNodeBuildResultsInTheirSlots) {
  Scheduler s;
  NodeContext node(s, 0);
  int moves = 0;
  std::vector<int> ran;
  s.AfterResultOf(5, 0, [&] { return [counter = MoveCounter(&moves), &ran] { ran.push_back(1); }; });
  node.AfterResultOf(10, 0, [&] { return [counter = MoveCounter(&moves), &ran] { ran.push_back(2); }; });
  EXPECT_EQ(moves, 0);
  s.RunUntil(20);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  node.AfterResultOf(10, 0, [&] { return [&ran] { ran.push_back(3); }; });
  node.Crash();
  s.RunUntil(40);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(node.dropped_count(), 1u);
}

}  // namespace
}  // namespace kv::sim
