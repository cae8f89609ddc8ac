#include "raft/quorum.h"

#include <algorithm>
#include <limits>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace kv::raft {
namespace {

// Reference: the largest index i such that a majority acknowledged >= i.
uint64_t ReferenceCommitted(const std::vector<uint64_t>& acked) {
  uint64_t best = 0;
  for (uint64_t candidate : acked) {
    size_t count = 0;
    for (uint64_t value : acked) count += value >= candidate;
    if (count > acked.size() / 2) best = std::max(best, candidate);
  }
  return best;
}

TEST(QuorumTest, CommittedIndexIsTheMajorityMinimum) {
  struct Case {
    std::vector<uint64_t> acked;
    uint64_t want;
  };
  const Case cases[] = {
      {{5}, 5},          {{5, 3}, 3},       {{5, 3, 1}, 3},
      {{1, 1, 9}, 1},    {{7, 7, 7, 1}, 7}, {{4, 3, 2, 1}, 2},
      {{9, 8, 1, 1, 1}, 1}, {{9, 8, 7, 1, 1}, 7},
  };
  for (const Case& c : cases) {
    std::vector<uint64_t> voters;
    for (size_t i = 0; i < c.acked.size(); ++i) voters.push_back(i + 1);
    const uint64_t got = MajorityCommittedIndex(
        voters, [&](uint64_t id) { return c.acked[id - 1]; });
    EXPECT_EQ(got, c.want);
  }
}

RC_GTEST_PROP(QuorumProperty, CommittedIndexMatchesReference,
              (std::vector<uint8_t> raw)) {
  RC_PRE(!raw.empty() && raw.size() <= 40);
  std::vector<uint64_t> acked(raw.begin(), raw.end());
  std::vector<uint64_t> voters;
  for (size_t i = 0; i < acked.size(); ++i) voters.push_back(i + 1);
  const uint64_t got =
      MajorityCommittedIndex(voters, [&](uint64_t id) { return acked[id - 1]; });
  RC_ASSERT(got == ReferenceCommitted(acked));
}

RC_GTEST_PROP(QuorumProperty, MajorityIndexMatchesReference,
              (std::vector<uint8_t> raw)) {
  RC_PRE(!raw.empty() && raw.size() <= 40);
  const std::vector<uint64_t> acked(raw.begin(), raw.end());
  const uint64_t got =
      MajorityIndex(acked.size(), [&](size_t i) { return acked[i]; });
  RC_ASSERT(got == ReferenceCommitted(acked));
}

// Every order of three indexes, ties included, gives the middle one.
RC_GTEST_PROP(QuorumProperty, ThreeVotersMatchReference, (uint8_t a, uint8_t b, uint8_t c)) {
  const std::vector<uint64_t> acked = {a, b, c};
  RC_ASSERT(MedianOfThree(a, b, c) == ReferenceCommitted(acked));
  RC_ASSERT(MajorityIndex(3, [&](size_t i) { return acked[i]; }) == ReferenceCommitted(acked));
}

TEST(QuorumTest, ThreeVotersInEveryOrder) {
  std::vector<uint64_t> acked = {1, 5, 9};
  do {
    EXPECT_EQ(MajorityIndex(3, [&](size_t i) { return acked[i]; }), 5u);
  } while (std::next_permutation(acked.begin(), acked.end()));
  EXPECT_EQ(MedianOfThree(4, 4, 1), 4u);
  EXPECT_EQ(MedianOfThree(1, 4, 1), 1u);
}

TEST(QuorumTest, NoVotersCommitEverything) {
  EXPECT_EQ(MajorityIndex(0, [](size_t) { return uint64_t{0}; }),
            std::numeric_limits<uint64_t>::max());
}

TEST(QuorumTest, VoteResultNeedsAMajorityOfVoters) {
  const std::vector<uint64_t> voters = {1, 2, 3};
  EXPECT_EQ(MajorityVoteResult(voters, {{1, true}}), VoteResult::kPending);
  EXPECT_EQ(MajorityVoteResult(voters, {{1, true}, {2, true}}), VoteResult::kWon);
  EXPECT_EQ(MajorityVoteResult(voters, {{1, true}, {2, false}}),
            VoteResult::kPending);
  EXPECT_EQ(MajorityVoteResult(voters, {{1, true}, {2, false}, {3, false}}),
            VoteResult::kLost);
}

TEST(QuorumTest, VotesFromNonVotersDoNotCount) {
  EXPECT_EQ(MajorityVoteResult({1, 2, 3}, {{1, true}, {4, true}, {5, true}}),
            VoteResult::kPending);
}

TEST(QuorumTest, EvenGroupsNeedMoreThanHalf) {
  EXPECT_EQ(MajorityVoteResult({1, 2, 3, 4}, {{1, true}, {2, true}}),
            VoteResult::kPending);
  EXPECT_EQ(MajorityVoteResult({1, 2, 3, 4}, {{1, true}, {2, true}, {3, true}}),
            VoteResult::kWon);
}

}  // namespace
}  // namespace kv::raft
