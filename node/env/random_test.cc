#include "node/env/random.h"

#include <cstdint>
#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace kv::env {
namespace {

TEST(RandomTest, SameSeedGivesSameStream) {
  Random a(42), b(42);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(a.Next64(), b.Next64());
}

TEST(RandomTest, DifferentSeedsGiveDifferentStreams) {
  Random a(1), b(2);
  int equal = 0;
  for (int i = 0; i < 1000; ++i) equal += a.Next64() == b.Next64();
  EXPECT_EQ(equal, 0);
}

// The first outputs are pinned so that a change to the generator, which would
// silently change every recorded seed's run, fails loudly here.
TEST(RandomTest, OutputIsPinnedAcrossBuilds) {
  Random r(0);
  const uint64_t first = r.Next64();
  Random again(0);
  EXPECT_EQ(first, again.Next64());
  EXPECT_EQ(first, 0x99ec5f36cb75f2b4ULL);
}

TEST(RandomTest, DeriveDependsOnlyOnSeedAndStreamId) {
  Random parent(7);
  Random before = parent.Derive(3);
  for (int i = 0; i < 100; ++i) parent.Next64();
  Random after = parent.Derive(3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(before.Next64(), after.Next64());
}

TEST(RandomTest, DerivedStreamsDiffer) {
  Random parent(7);
  Random a = parent.Derive(1), b = parent.Derive(2);
  int equal = 0;
  for (int i = 0; i < 1000; ++i) equal += a.Next64() == b.Next64();
  EXPECT_EQ(equal, 0);
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  Random r(9);
  std::map<uint64_t, int> counts;
  constexpr int kDraws = 60000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t v = r.Uniform(6);
    ASSERT_LT(v, 6u);
    ++counts[v];
  }
  ASSERT_EQ(counts.size(), 6u);
  // Each bucket expects 10000; 5 sigma is about 456.
  for (const auto& [value, count] : counts) {
    EXPECT_NEAR(count, kDraws / 6, 500) << "value " << value;
  }
}

TEST(RandomTest, UniformRangeIsInclusive) {
  Random r(11);
  bool saw_low = false, saw_high = false;
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = r.UniformRange(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    saw_low |= v == -3;
    saw_high |= v == 3;
  }
  EXPECT_TRUE(saw_low);
  EXPECT_TRUE(saw_high);
}

TEST(RandomTest, ChanceMatchesItsRate) {
  Random r(13);
  constexpr int kDraws = 100000;
  int hits = 0;
  for (int i = 0; i < kDraws; ++i) hits += r.Chance(1, 4);
  // Expect 25000, sigma about 137.
  EXPECT_NEAR(hits, 25000, 700);
  EXPECT_FALSE(r.Chance(0, 5));
  EXPECT_TRUE(r.Chance(5, 5));
}

TEST(RandomTest, ExponentialHasItsMean) {
  Random r(17);
  constexpr int kDraws = 100000;
  int64_t sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    const int64_t v = r.Exponential(1000);
    ASSERT_GE(v, 0);
    ASSERT_LE(v, 50000);
    sum += v;
  }
  EXPECT_NEAR(static_cast<double>(sum) / kDraws, 1000.0, 20.0);
}

TEST(RandomTest, DrawCountCountsDraws) {
  Random r(1);
  EXPECT_EQ(r.draw_count(), 0u);
  r.Next64();
  r.Uniform(10);
  EXPECT_GE(r.draw_count(), 2u);
}

TEST(RandomTest, TallyFoldsDrawsOfTheRootAndItsDerivedStreams) {
  DrawTally tally;
  Random root(5);
  root.TallyDrawsInto(&tally);
  Random child = root.Derive(7);
  const uint64_t a = root.Next64();
  const uint64_t b = child.Next64();
  EXPECT_EQ(tally.draws, 2u);
  EXPECT_EQ(tally.digest, Mix64(Mix64(0, a), b));
  // Same draws in another order give another digest.
  DrawTally swapped;
  Random root2(5);
  root2.TallyDrawsInto(&swapped);
  Random child2 = root2.Derive(7);
  child2.Next64();
  root2.Next64();
  EXPECT_EQ(swapped.draws, 2u);
  EXPECT_NE(swapped.digest, tally.digest);
  // Tallying does not change the values drawn.
  Random plain(5);
  EXPECT_EQ(plain.Next64(), a);
}

}  // namespace
}  // namespace kv::env
