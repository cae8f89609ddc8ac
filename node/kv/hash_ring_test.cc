#include "node/kv/hash_ring.h"

#include <algorithm>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::node {
namespace {

HashRing MakeRing(int members, int virtual_nodes) {
  HashRing ring(virtual_nodes);
  for (int m = 1; m <= members; ++m) EXPECT_TRUE(ring.Add(m).ok());
  return ring;
}

// 1M keys over 8 shards with 128 virtual nodes each: every shard gets within
// 15% of its fair share. The measured spread is printed for docs/kv.md.
TEST(HashRingTest, PlacementIsBalancedOverAMillionKeys) {
  const HashRing ring = MakeRing(8, 128);
  std::map<uint64_t, int> counts;
  constexpr int kKeys = 1'000'000;
  for (int i = 0; i < kKeys; ++i) ++counts[ring.Lookup("key-" + std::to_string(i))];
  ASSERT_EQ(counts.size(), 8u);
  int low = kKeys, high = 0;
  for (const auto& [member, count] : counts) {
    low = std::min(low, count);
    high = std::max(high, count);
    EXPECT_NEAR(count, kKeys / 8, kKeys / 8 * 0.15) << "shard " << member;
  }
  std::printf("ring spread over 8 shards, 1M keys: min %d max %d (fair %d, max/min %.3f)\n", low,
              high, kKeys / 8, static_cast<double>(high) / low);
}

// Adding a ninth member moves about 1/9 of the keys, and only onto it.
TEST(HashRingTest, AddingAMemberMovesAboutOneNthOfKeysOnlyToIt) {
  HashRing ring = MakeRing(8, 128);
  constexpr int kKeys = 200'000;
  std::vector<uint64_t> before(kKeys);
  for (int i = 0; i < kKeys; ++i) before[i] = ring.Lookup("key-" + std::to_string(i));
  ASSERT_TRUE(ring.Add(9).ok());
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    const uint64_t after = ring.Lookup("key-" + std::to_string(i));
    if (after != before[i]) {
      ++moved;
      EXPECT_EQ(after, 9u);
    }
  }
  EXPECT_NEAR(moved, kKeys / 9, kKeys / 9 * 0.2);
  std::printf("adding a 9th shard moved %d of %d keys (%.2f%%; 1/9 = 11.11%%)\n", moved, kKeys,
              100.0 * moved / kKeys);
}

TEST(HashRingTest, AddAndRemoveValidateMembership) {
  HashRing ring(4);
  EXPECT_TRUE(ring.Add(1).ok());
  EXPECT_EQ(ring.Add(1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.Remove(2).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ring.Remove(1).ok());
  EXPECT_TRUE(ring.empty());
}

// Placement is pinned: it must never change between builds, or data written
// by one version would be looked for on the wrong shard by the next.
TEST(HashRingTest, PlacementIsStableAcrossBuilds) {
  const HashRing ring = MakeRing(8, 128);
  std::string placements;
  for (const char* key : {"a", "b", "user:1", "user:2", "order:99", "", "zzzzzzzzzzzz"}) {
    placements += std::to_string(ring.Lookup(key));
  }
  EXPECT_EQ(placements, "4756116");
}

// A ring is its members, whatever order they joined in (each Add merges
// the member's points into the ring's order).
RC_GTEST_PROP(HashRingProperty, TheOrderMembersJoinInChangesNoPlacement,
              (std::vector<uint16_t> members, std::vector<std::string> keys)) {
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  RC_PRE(!members.empty());
  HashRing ascending(4), shuffled(4);
  for (uint16_t m : members) RC_ASSERT(ascending.Add(m).ok());
  // A generated order: the members sorted by generated ranks.
  const auto ranks =
      *rc::gen::container<std::vector<uint32_t>>(members.size(), rc::gen::arbitrary<uint32_t>());
  std::vector<size_t> order(members.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&ranks](size_t a, size_t b) { return ranks[a] < ranks[b]; });
  for (size_t i : order) RC_ASSERT(shuffled.Add(members[i]).ok());
  keys.push_back("");
  // And all at once, in the generated order.
  HashRing together(4);
  std::vector<uint64_t> listed;
  for (size_t i : order) listed.push_back(members[i]);
  RC_ASSERT(together.AddAll(listed).ok());
  RC_ASSERT(together.members() == ascending.members());
  for (const std::string& key : keys) {
    RC_ASSERT(ascending.Lookup(key) == shuffled.Lookup(key));
    RC_ASSERT(ascending.Lookup(key) == together.Lookup(key));
  }
  for (uint64_t h : {uint64_t{0}, UINT64_MAX, uint64_t{1} << 63}) {
    RC_ASSERT(ascending.LookupHash(h) == shuffled.LookupHash(h));
    RC_ASSERT(ascending.LookupHash(h) == together.LookupHash(h));
  }
}

TEST(HashRingTest, AddAllRefusesAPresentOrRepeatedMemberAndAddsNone) {
  HashRing ring(8);
  ASSERT_TRUE(ring.Add(5).ok());
  EXPECT_EQ(ring.AddAll(std::vector<uint64_t>{7, 5}).message(), "ring member 5 already present");
  EXPECT_EQ(ring.AddAll(std::vector<uint64_t>{9, 8, 9}).message(), "ring member 9 listed twice");
  EXPECT_EQ(ring.members(), std::vector<uint64_t>{5});
  ASSERT_TRUE(ring.AddAll(std::vector<uint64_t>{9, 7}).ok());
  EXPECT_EQ(ring.members(), (std::vector<uint64_t>{5, 7, 9}));
}

// Changing membership moves keys only to an added member or off a removed one.
RC_GTEST_PROP(HashRingProperty, MembershipChangesMoveOnlyTheAffectedKeys,
              (std::vector<uint8_t> member_bytes, uint8_t changed, std::vector<std::string> keys)) {
  HashRing ring(8);
  for (uint8_t b : member_bytes) {
    if (b != changed) ring.Add(b).IgnoreError();  // Duplicates are refused; fine.
  }
  RC_PRE(!ring.empty());
  std::vector<uint64_t> before;
  for (const std::string& key : keys) before.push_back(ring.Lookup(key));
  RC_ASSERT(ring.Add(changed).ok());
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t after = ring.Lookup(keys[i]);
    RC_ASSERT(after == before[i] || after == changed);
  }
  RC_ASSERT(ring.Remove(changed).ok());
  for (size_t i = 0; i < keys.size(); ++i) RC_ASSERT(ring.Lookup(keys[i]) == before[i]);
}

// The ring's points, built here from PointHash and sorted by (hash, member):
// the answer LookupHash must give is the member of the first point whose hash
// is >= the key's, wrapping around. Checked against a plain binary search
// over them at each point's hash, its neighbours, the ends and random hashes.
RC_GTEST_PROP(HashRingProperty, LookupHashMatchesABinarySearchOverThePoints,
              (std::vector<uint8_t> member_bytes, std::vector<uint64_t> hashes)) {
  const int virtual_nodes = *rc::gen::inRange(1, 40);
  HashRing ring(virtual_nodes);
  std::vector<std::pair<uint64_t, uint64_t>> points;  // (hash, member)
  for (uint8_t b : member_bytes) {
    if (!ring.Add(b).ok()) continue;  // A duplicate.
    for (int i = 0; i < virtual_nodes; ++i) points.emplace_back(PointHash(b, i), b);
  }
  RC_PRE(!points.empty());
  std::sort(points.begin(), points.end());
  std::vector<uint64_t> probes = hashes;
  probes.insert(probes.end(), {0, 1, UINT64_MAX, UINT64_MAX - 1, uint64_t{1} << 63});
  for (const auto& [hash, member] : points) probes.insert(probes.end(), {hash - 1, hash, hash + 1});
  for (uint64_t probe : probes) {
    auto it = std::lower_bound(points.begin(), points.end(), std::make_pair(probe, uint64_t{0}));
    if (it == points.end()) it = points.begin();
    RC_ASSERT(ring.LookupHash(probe) == it->second);
  }
}

}  // namespace
}  // namespace kv::node
