#pragma once
// Majority quorum arithmetic (layer: raft/): the commit index a set of voters
// has acknowledged, and the outcome of an election. Pure functions, checked
// against simple reference versions by quorum_test.cc.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "absl/functional/function_ref.h"

namespace kv::raft {

enum class VoteResult { kPending, kLost, kWon };

// MajorityElement for groups too large for its insertion sort.
uint64_t MajorityElementBySelection(uint64_t* indexes, size_t count);

// The element a majority has reached: with indexes[0, count) sorted
// descending, the one at count / 2. Reorders indexes. Precondition: count > 0.
// Inline: it runs on every acknowledgement a leader counts.
inline uint64_t MajorityElement(uint64_t* indexes, size_t count) {
  // Groups are a handful of voters, where sorting by insertion costs less
  // than setting up nth_element.
  constexpr size_t kInsertionSortMax = 8;
  if (count > kInsertionSortMax) return MajorityElementBySelection(indexes, count);
  for (size_t i = 1; i < count; ++i) {
    const uint64_t value = indexes[i];
    size_t j = i;
    for (; j > 0 && indexes[j - 1] < value; --j) indexes[j] = indexes[j - 1];
    indexes[j] = value;
  }
  // Sorted descending, the element at position n/2 is acknowledged by
  // n/2 + 1 voters, a majority.
  return indexes[count / 2];
}

// The middle one of three indexes, which two of the three reached: the
// majority element of a three-voter group.
inline uint64_t MedianOfThree(uint64_t a, uint64_t b, uint64_t c) {
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

template <typename Acked>
uint64_t MajorityIndexOfAny(size_t count, const Acked& acked);

// The largest index that a majority of `count` voters has acknowledged,
// where acked(i) gives the i-th voter's acknowledged index. Returns
// UINT64_MAX for no voters (an empty configuration commits everything, which
// the core never relies on). A template so that the tracker's accessor, run
// per voter on every acknowledgement, is inlined.
template <typename Acked>
uint64_t MajorityIndex(size_t count, const Acked& acked) {
  // Three voters, the usual group (the simulated KV cluster's shards): no
  // buffer and no sort. The leader asks after every acknowledgement.
  if (count == 3) return MedianOfThree(acked(0), acked(1), acked(2));
  return MajorityIndexOfAny(count, acked);
}

// MajorityIndex for any count. Out of line, so that the three-voter case
// does not set up the buffer and its cleanup.
template <typename Acked>
[[gnu::noinline]] uint64_t MajorityIndexOfAny(size_t count, const Acked& acked) {
  if (count == 0) return std::numeric_limits<uint64_t>::max();
  // Small groups are the norm: a stack buffer avoids allocating per commit.
  constexpr size_t kStackVoters = 16;
  uint64_t stack[kStackVoters];
  std::vector<uint64_t> heap;
  uint64_t* indexes = stack;
  if (count > kStackVoters) {
    heap.resize(count);
    indexes = heap.data();
  }
  for (size_t i = 0; i < count; ++i) indexes[i] = acked(i);
  return MajorityElement(indexes, count);
}

// MajorityIndex over `voters`, where acked(id) gives one voter's
// acknowledged index. voters must be sorted and distinct.
uint64_t MajorityCommittedIndex(const std::vector<uint64_t>& voters,
                                absl::FunctionRef<uint64_t(uint64_t)> acked);

// Outcome given votes (id -> granted); ids absent from `votes` have not
// answered. Ids in `votes` that are not voters are ignored.
VoteResult MajorityVoteResult(const std::vector<uint64_t>& voters,
                              const std::map<uint64_t, bool>& votes);

}  // namespace kv::raft
