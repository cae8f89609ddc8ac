#include "sim/timer_window.h"

#include <cstdint>
#include <map>

#include "gtest/gtest.h"
#include "node/env/random.h"

namespace kv::sim {
namespace {

TEST(TimerWindowTest, RemovesEachPendingTimerOnce) {
  TimerWindow window;
  EXPECT_EQ(window.next_id(), 1u);
  window.Add(1, EventId{11});
  window.Add(2, EventId{12});
  EXPECT_EQ(window.size(), 2u);
  EXPECT_EQ(window.Remove(2), EventId{12});
  EXPECT_FALSE(window.Remove(2).valid());
  EXPECT_FALSE(window.Remove(0).valid());
  EXPECT_FALSE(window.Remove(3).valid());  // Not armed yet.
  EXPECT_EQ(window.Remove(1), EventId{11});
  EXPECT_EQ(window.size(), 0u);
  EXPECT_EQ(window.next_id(), 3u);
}

TEST(TimerWindowTest, ClearForgetsPendingTimersButKeepsCountingIds) {
  TimerWindow window;
  for (uint64_t id = 1; id <= 5; ++id) window.Add(id, EventId{100 + id});
  window.Clear();
  EXPECT_EQ(window.size(), 0u);
  for (uint64_t id = 1; id <= 5; ++id) EXPECT_FALSE(window.Remove(id).valid());
  EXPECT_EQ(window.next_id(), 6u);
  window.Add(6, EventId{106});
  EXPECT_EQ(window.Remove(6), EventId{106});
}

// Random arming and removal against a std::map, with some timers that stay
// pending while thousands of others come and go, so that the ring wraps
// around and grows with entries both live and removed in it.
TEST(TimerWindowTest, MatchesAMapOverRandomArmsRemovesAndClears) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    env::Random random(seed);
    TimerWindow window;
    std::map<uint64_t, EventId> reference;
    for (int step = 0; step < 20'000; ++step) {
      const uint64_t choice = random.Uniform(100);
      if (choice < 45) {
        const uint64_t id = window.next_id();
        const EventId event{random.Uniform(1'000'000) + 1};
        window.Add(id, event);
        reference[id] = event;
      } else if (choice < 99) {
        // Mostly recent ids, sometimes any id ever handed out (or the next).
        const uint64_t next = window.next_id();
        const uint64_t id = random.Chance(9, 10) && next > 8 ? next - 1 - random.Uniform(8)
                                                             : random.Uniform(next + 1);
        const auto it = reference.find(id);
        const EventId expected = it == reference.end() ? EventId{} : it->second;
        if (it != reference.end()) reference.erase(it);
        ASSERT_EQ(window.Remove(id), expected) << "seed " << seed << " step " << step << " id " << id;
      } else if (random.Chance(1, 20)) {
        window.Clear();
        reference.clear();
      }
      ASSERT_EQ(window.size(), reference.size()) << "seed " << seed << " step " << step;
    }
    for (const auto& [id, event] : reference) ASSERT_EQ(window.Remove(id), event);
    EXPECT_EQ(window.size(), 0u);
  }
}

}  // namespace
}  // namespace kv::sim
