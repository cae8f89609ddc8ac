#pragma once
// SortNearlySorted: a stable sort for sequences that come nearly in order,
// as a client history's operations do (recorded as they complete, so their
// calls and returns are out of order only as far as operations overlap).
// Layer: properties/.

#include <algorithm>
#include <cstddef>

#include "absl/types/span.h"

namespace kv::properties {

// Sorts `items` by `less`, keeping equal items in their order. An insertion
// sort, which costs about one comparison per item on nearly sorted input
// where std::stable_sort's merges cost several; past a budget of moves (a
// sequence far out of order) it hands over to std::stable_sort, so it never
// goes quadratic.
template <typename T, typename Less>
void SortNearlySorted(absl::Span<T> items, Less less) {
  const size_t move_budget = 8 * items.size();
  size_t moves = 0;
  for (size_t sorted = 1; sorted < items.size(); ++sorted) {
    const T item = items[sorted];
    size_t at = sorted;
    for (; at > 0 && less(item, items[at - 1]); --at) items[at] = items[at - 1];
    items[at] = item;
    moves += sorted - at;
    if (moves > move_budget) {
      // The prefix sorted so far kept equal items in order; stable_sort
      // keeps them so.
      std::stable_sort(items.begin(), items.end(), less);
      return;
    }
  }
}

}  // namespace kv::properties
