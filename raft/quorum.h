#pragma once
// Majority quorum arithmetic (layer: raft/): the commit index a set of voters
// has acknowledged, and the outcome of an election. Pure functions, checked
// against simple reference versions by quorum_test.cc.

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace kv::raft {

enum class VoteResult { kPending, kLost, kWon };

// The largest index that a majority of `voters` has acknowledged, where
// acked(id) gives one voter's acknowledged index. Returns UINT64_MAX for an
// empty voter set (an empty configuration commits everything, which the core
// never relies on). voters must be sorted and distinct.
uint64_t MajorityCommittedIndex(const std::vector<uint64_t>& voters,
                                const std::function<uint64_t(uint64_t)>& acked);

// Outcome given votes (id -> granted); ids absent from `votes` have not
// answered. Ids in `votes` that are not voters are ignored.
VoteResult MajorityVoteResult(const std::vector<uint64_t>& voters,
                              const std::map<uint64_t, bool>& votes);

}  // namespace kv::raft
