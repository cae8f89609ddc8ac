#include "sim/event_callback.h"

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace kv::sim
