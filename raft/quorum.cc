#include "raft/quorum.h"

#include <algorithm>
#include <functional>

namespace kv::raft {

uint64_t MajorityElement(uint64_t* indexes, size_t count) {
  // Sorted descending, the element at position n/2 is acknowledged by
  // n/2 + 1 voters, a majority.
  const size_t quorum_position = count / 2;
  // Groups are a handful of voters, where sorting by insertion costs less
  // than setting up nth_element.
  constexpr size_t kInsertionSortMax = 8;
  if (count <= kInsertionSortMax) {
    for (size_t i = 1; i < count; ++i) {
      const uint64_t value = indexes[i];
      size_t j = i;
      for (; j > 0 && indexes[j - 1] < value; --j) indexes[j] = indexes[j - 1];
      indexes[j] = value;
    }
    return indexes[quorum_position];
  }
  std::nth_element(indexes, indexes + quorum_position, indexes + count,
                   std::greater<uint64_t>());
  return indexes[quorum_position];
}

uint64_t MajorityCommittedIndex(const std::vector<uint64_t>& voters,
                                absl::FunctionRef<uint64_t(uint64_t)> acked) {
  return MajorityIndex(voters.size(),
                       [&](size_t i) { return acked(voters[i]); });
}

VoteResult MajorityVoteResult(const std::vector<uint64_t>& voters,
                              const std::map<uint64_t, bool>& votes) {
  if (voters.empty()) return VoteResult::kWon;
  size_t granted = 0;
  size_t missing = 0;
  for (uint64_t id : voters) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++granted;
    }
  }
  const size_t quorum = voters.size() / 2 + 1;
  if (granted >= quorum) return VoteResult::kWon;
  if (granted + missing >= quorum) return VoteResult::kPending;
  return VoteResult::kLost;
}

}  // namespace kv::raft
