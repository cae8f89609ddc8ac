#include "raft/quorum.h"

#include <algorithm>
#include <limits>

namespace kv::raft {

uint64_t MajorityCommittedIndex(
    const std::vector<uint64_t>& voters,
    const std::function<uint64_t(uint64_t)>& acked) {
  if (voters.empty()) return std::numeric_limits<uint64_t>::max();
  // Small groups are the norm: a stack buffer avoids allocating per commit.
  constexpr size_t kStackVoters = 16;
  uint64_t stack[kStackVoters];
  std::vector<uint64_t> heap;
  uint64_t* indexes = stack;
  if (voters.size() > kStackVoters) {
    heap.resize(voters.size());
    indexes = heap.data();
  }
  for (size_t i = 0; i < voters.size(); ++i) indexes[i] = acked(voters[i]);
  // Sorted descending, the element at position n/2 is acknowledged by
  // n/2 + 1 voters, a majority.
  const size_t quorum_position = voters.size() / 2;
  std::nth_element(indexes, indexes + quorum_position, indexes + voters.size(),
                   std::greater<uint64_t>());
  return indexes[quorum_position];
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
