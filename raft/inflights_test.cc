#include "raft/inflights.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kv::raft
