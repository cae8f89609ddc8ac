#include "raft/inflights.h"

#include <deque>
#include <utility>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace kv::raft {
namespace {

TEST(InflightsTest, FullAtCountLimit) {
  Inflights inflights(3, 0);
  inflights.Add(1, 10);
  inflights.Add(2, 10);
  EXPECT_FALSE(inflights.Full());
  inflights.Add(3, 10);
  EXPECT_TRUE(inflights.Full());
}

TEST(InflightsTest, FullAtByteLimit) {
  Inflights inflights(100, 25);
  inflights.Add(1, 10);
  inflights.Add(2, 10);
  EXPECT_FALSE(inflights.Full());
  inflights.Add(3, 10);
  EXPECT_TRUE(inflights.Full());
  EXPECT_EQ(inflights.bytes(), 30u);
}

TEST(InflightsTest, FreeLeReleasesAcknowledgedMessages) {
  Inflights inflights(3, 0);
  inflights.Add(5, 1);
  inflights.Add(9, 2);
  inflights.Add(12, 4);
  inflights.FreeLE(9);
  EXPECT_EQ(inflights.count(), 1u);
  EXPECT_EQ(inflights.bytes(), 4u);
  inflights.FreeLE(100);
  EXPECT_EQ(inflights.count(), 0u);
}

TEST(InflightsTest, FreeFirstOneReleasesTheOldest) {
  Inflights inflights(2, 0);
  inflights.Add(1, 1);
  inflights.Add(2, 2);
  inflights.FreeFirstOne();
  EXPECT_FALSE(inflights.Full());
  EXPECT_EQ(inflights.bytes(), 2u);
}

// Against a plain FIFO, through enough adds and frees that the ring wraps
// and grows: the same count, bytes and fullness after every step.
RC_GTEST_PROP(InflightsTest, BehavesAsAFifo, ()) {
  const uint64_t max_count = *rc::gen::inRange<uint64_t>(1, 40);
  const uint64_t max_bytes = *rc::gen::element<uint64_t>(0, 50, 500);
  Inflights inflights(max_count, max_bytes);
  std::deque<std::pair<uint64_t, uint64_t>> model;  // (index, bytes), oldest first.
  uint64_t model_bytes = 0;
  uint64_t next_index = 1;
  const int steps = *rc::gen::inRange(0, 300);
  for (int step = 0; step < steps; ++step) {
    const bool full = model.size() >= max_count || (max_bytes != 0 && model_bytes >= max_bytes);
    RC_ASSERT(inflights.Full() == full);
    switch (*rc::gen::inRange(0, 6)) {
      case 0: {
        // Frees up to some index at or past the oldest.
        const uint64_t index = model.empty() ? next_index : model.front().first + *rc::gen::inRange<uint64_t>(0, 8);
        inflights.FreeLE(index);
        while (!model.empty() && model.front().first <= index) {
          model_bytes -= model.front().second;
          model.pop_front();
        }
        break;
      }
      case 1:
        inflights.FreeFirstOne();
        if (!model.empty()) {
          model_bytes -= model.front().second;
          model.pop_front();
        }
        break;
      case 2:
        if (*rc::gen::inRange(0, 10) == 0) {
          inflights.Reset();
          model.clear();
          model_bytes = 0;
        }
        break;
      default:
        if (!full) {
          next_index += *rc::gen::inRange<uint64_t>(1, 4);
          const uint64_t bytes = *rc::gen::inRange<uint64_t>(0, 30);
          inflights.Add(next_index, bytes);
          model.emplace_back(next_index, bytes);
          model_bytes += bytes;
        }
        break;
    }
    RC_ASSERT(inflights.count() == model.size());
    RC_ASSERT(inflights.bytes() == model_bytes);
  }
}

}  // namespace
}  // namespace kv::raft
