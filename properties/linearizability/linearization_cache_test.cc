#include "properties/linearizability/linearization_cache.h"

#include "gtest/gtest.h"

namespace kv::properties {
namespace {

TEST(LinearizedSetTest, HashDependsOnlyOnContents) {
  LinearizedSet forward(130);
  forward.Add(3);
  forward.Add(129);
  forward.Add(64);
  LinearizedSet backward(130);
  backward.Add(64);
  backward.Add(129);
  backward.Add(3);
  EXPECT_EQ(forward.hash(), backward.hash());
  EXPECT_EQ(forward.words(), backward.words());
  backward.Remove(129);
  EXPECT_NE(forward.hash(), backward.hash());
  EXPECT_FALSE(backward.Contains(129));
  EXPECT_TRUE(backward.Contains(64));
  backward.Remove(64);
  backward.Remove(3);
  EXPECT_EQ(backward.hash(), 0u);
}

TEST(LinearizationCacheTest, InsertAcceptsEachConfigurationOnce) {
  LinearizationCache cache;
  LinearizedSet set(10);
  EXPECT_TRUE(cache.Insert(set, kAbsent));
  EXPECT_FALSE(cache.Insert(set, kAbsent));
  set.Add(4);
  EXPECT_TRUE(cache.Insert(set, kAbsent));
  // Same set, different state: a different configuration.
  EXPECT_TRUE(cache.Insert(set, 7));
  EXPECT_FALSE(cache.Insert(set, 7));
  set.Remove(4);
  EXPECT_FALSE(cache.Insert(set, kAbsent));
  EXPECT_EQ(cache.size(), 3);
}

TEST(LinearizationCacheTest, ManySetsStayDistinct) {
  // Every subset of 12 ops with two states: 8192 configurations, each new
  // exactly once. Exercises many hash chains and exact comparison.
  LinearizationCache cache;
  for (int pass = 0; pass < 2; ++pass) {
    for (int mask = 0; mask < (1 << 12); ++mask) {
      LinearizedSet set(12);
      for (int bit = 0; bit < 12; ++bit) {
        if (mask & (1 << bit)) set.Add(bit);
      }
      for (RegisterState state : {kAbsent, RegisterState{1}}) {
        EXPECT_EQ(cache.Insert(set, state), pass == 0) << mask;
      }
    }
  }
  EXPECT_EQ(cache.size(), 8192);
}

}  // namespace
}  // namespace kv::properties
