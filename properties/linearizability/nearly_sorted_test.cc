#include "properties/linearizability/nearly_sorted.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::properties {
namespace {

// (key, original position): equal keys must keep their positions' order.
using Item = std::pair<int, int>;

bool KeyLess(const Item& a, const Item& b) { return a.first < b.first; }

std::vector<Item> WithPositions(const std::vector<int>& keys) {
  std::vector<Item> items;
  for (size_t i = 0; i < keys.size(); ++i) items.emplace_back(keys[i], static_cast<int>(i));
  return items;
}

// Against std::stable_sort, on input in any order (which may take the
// fallback) and on input displaced a little from sorted (the fast path),
// with many equal keys either way.
RC_GTEST_PROP(SortNearlySortedTest, SortsAsStableSortDoes, ()) {
  std::vector<int> keys = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 30));
  if (*rc::gen::arbitrary<bool>()) {
    std::sort(keys.begin(), keys.end());
    for (size_t i = 0; i + 1 < keys.size(); i += 1 + *rc::gen::inRange<size_t>(0, 5)) {
      std::swap(keys[i], keys[i + 1]);
    }
  }
  std::vector<Item> items = WithPositions(keys);
  std::vector<Item> expected = items;
  std::stable_sort(expected.begin(), expected.end(), KeyLess);
  SortNearlySorted(absl::MakeSpan(items), KeyLess);
  RC_ASSERT(items == expected);
}

TEST(SortNearlySortedTest, ReversedInputIsSortedStably) {
  std::vector<int> keys;
  for (int i = 0; i < 500; ++i) keys.push_back((500 - i) / 3);
  std::vector<Item> items = WithPositions(keys);
  std::vector<Item> expected = items;
  std::stable_sort(expected.begin(), expected.end(), KeyLess);
  SortNearlySorted(absl::MakeSpan(items), KeyLess);
  EXPECT_EQ(items, expected);
}

TEST(SortNearlySortedTest, EmptyAndSingleItemsStayAsTheyAre) {
  std::vector<Item> none;
  SortNearlySorted(absl::MakeSpan(none), KeyLess);
  EXPECT_TRUE(none.empty());
  std::vector<Item> one = {{7, 0}};
  SortNearlySorted(absl::MakeSpan(one), KeyLess);
  EXPECT_EQ(one, (std::vector<Item>{{7, 0}}));
}

}  // namespace
}  // namespace kv::properties
