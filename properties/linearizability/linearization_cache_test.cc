#include "properties/linearizability/linearization_cache.h"

#include <set>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

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
  EXPECT_EQ(forward.low(), 0);
  EXPECT_EQ(forward.high(), 130);
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
  EXPECT_FALSE(cache.Contains(set, kAbsent));  // An empty cache has no table yet.
  EXPECT_TRUE(cache.Insert(set, kAbsent));
  EXPECT_TRUE(cache.Contains(set, kAbsent));
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
  // exactly once. A 4-bit hash puts ~500 of them in each chain, so only the
  // exact comparison keeps them apart.
  LinearizationCache cache(/*hash_mask=*/0xf);
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

TEST(LinearizationCacheTest, DistinctHashesWithTheSameLowBitsStayApart) {
  // A mask of the top 12 bits only: hashes whose low bits, where the table
  // starts probing, are all zero, so every new hash probes past slots held
  // by other hashes, and the table grows from its first size with all of
  // them in one run. Each subset of 12 ops is one configuration; a rehash
  // or a probe that lost a hash's slot would call some of them new again.
  LinearizationCache cache(/*hash_mask=*/0xfff0000000000000);
  for (int pass = 0; pass < 2; ++pass) {
    for (int mask = 0; mask < (1 << 12); ++mask) {
      LinearizedSet set(12);
      for (int bit = 0; bit < 12; ++bit) {
        if (mask & (1 << bit)) set.Add(bit);
      }
      EXPECT_EQ(cache.Insert(set, kAbsent), pass == 0) << mask;
    }
  }
  EXPECT_EQ(cache.size(), 4096);
}

TEST(LinearizedSetTest, TracksTheWindowBetweenLowAndHigh) {
  LinearizedSet set(200);
  EXPECT_EQ(set.low(), 0);
  EXPECT_EQ(set.high(), 0);
  EXPECT_EQ(set.window_word_count(), 0);
  for (int32_t op = 0; op < 70; ++op) set.Add(op);
  EXPECT_EQ(set.low(), 70);
  EXPECT_EQ(set.high(), 70);
  EXPECT_EQ(set.window_word_count(), 0);
  set.Add(150);
  EXPECT_EQ(set.low(), 70);
  EXPECT_EQ(set.high(), 151);
  EXPECT_EQ(set.first_window_word(), 1);
  EXPECT_EQ(set.window_word_count(), 2);
  set.Remove(5);
  EXPECT_EQ(set.low(), 5);
  EXPECT_EQ(set.window_word_count(), 3);
  set.Remove(150);
  EXPECT_EQ(set.high(), 70);
  set.Add(5);
  EXPECT_EQ(set.low(), 70);
  for (int32_t op = 70; op < 200; ++op) set.Add(op);
  EXPECT_EQ(set.low(), 200);
  EXPECT_EQ(set.high(), 200);
}

// The cache against a plain reference: a std::set of (members, state).
RC_GTEST_PROP(LinearizationCacheTest, AgreesWithAnExactReference, ()) {
  const int32_t op_count = *rc::gen::inRange<int32_t>(1, 200);
  const auto steps = *rc::gen::container<std::vector<std::pair<int32_t, int32_t>>>(
      rc::gen::pair(rc::gen::inRange<int32_t>(0, op_count), rc::gen::inRange<int32_t>(0, 3)));
  LinearizedSet set(op_count);
  std::set<int32_t> members;
  // Sometimes a 2-bit hash, so that most lookups meet colliding entries.
  LinearizationCache cache(*rc::gen::element<uint64_t>(~uint64_t{0}, 0x3));
  // Sometimes with room made up front, as a search makes it.
  if (*rc::gen::arbitrary<bool>()) cache.Reserve(*rc::gen::inRange<size_t>(0, 300));
  std::set<std::pair<std::set<int32_t>, RegisterState>> seen;
  for (const auto& [op_index, state] : steps) {
    // Toggle the op, as the search adds on the way down and removes on backtrack.
    if (members.count(op_index) != 0) {
      set.Remove(op_index);
      members.erase(op_index);
    } else {
      set.Add(op_index);
      members.insert(op_index);
    }
    int32_t low = 0;
    while (members.count(low) != 0) ++low;
    RC_ASSERT(set.low() == low);
    RC_ASSERT(set.high() == (members.empty() ? 0 : *members.rbegin() + 1));
    const bool is_new = seen.insert({members, state}).second;
    RC_ASSERT(cache.Contains(set, state) == !is_new);
    RC_ASSERT(cache.Insert(set, state) == is_new);
    RC_ASSERT(cache.Contains(set, state));
  }
  RC_ASSERT(cache.size() == static_cast<int64_t>(seen.size()));
}

}  // namespace
}  // namespace kv::properties
