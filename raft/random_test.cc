#include "raft/random.h"

#include <gtest/gtest.h>

namespace kv::raft {
namespace {

TEST(RandomTest, SameSeedGivesSameSequence) {
  Random a(42);
  Random b(42);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(a.Next(), b.Next());
}

TEST(RandomTest, DifferentSeedsGiveDifferentSequences) {
  Random a(1);
  Random b(2);
  int equal = 0;
  for (int i = 0; i < 100; ++i) equal += a.Next() == b.Next();
  EXPECT_EQ(equal, 0);
}

TEST(RandomTest, SequenceIsPinnedAcrossPlatforms) {
  // Pinned values: a change here breaks replay of every recorded seed. The
  // first is the published xoshiro256** output for splitmix64 seed 0.
  Random random(0);
  EXPECT_EQ(random.Next(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(random.Uniform(10), 7u);
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  Random random(7);
  int counts[7] = {};
  for (int i = 0; i < 7000; ++i) {
    const uint64_t value = random.Uniform(7);
    ASSERT_LT(value, 7u);
    ++counts[value];
  }
  for (int count : counts) {
    EXPECT_GT(count, 800);
    EXPECT_LT(count, 1200);
  }
}

TEST(RandomTest, UniformOfOneIsZero) {
  Random random(3);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(random.Uniform(1), 0u);
}

}  // namespace
}  // namespace kv::raft
