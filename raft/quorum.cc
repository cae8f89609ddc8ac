#include "raft/quorum.h"

#include <algorithm>
#include <functional>

namespace kv::raft {

uint64_t MajorityElementBySelection(uint64_t* indexes, size_t count) {
  // The element at count / 2 of the descending order (see MajorityElement).
  const size_t quorum_position = count / 2;
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
