// Teeth: for each injectable raft::RaftBugs, a sweep with the bug on finds a
// safety violation within 1,000 seeds, and with the bug off the same seeds
// pass. The seed that found it is printed with its replay command; the
// counts are recorded in docs/raft.md. kCommitOldTermByCounting needs the
// Figure 8 interleaving, which the random faults alone reach about once in
// 3,000 seeds; sim/raft/figure8_nemesis.h drives runs through it, and it is
// swept for 3 and 5 members (the scripted RaftBugsTest.CommitOldTermByCounting
// in raft/raft_bugs_test.cc covers it too).
#include <cstdio>

#include <gtest/gtest.h>

#include "raft/config.h"
#include "sim/raft/raft_scenario.h"

namespace kv::sim {
namespace {

constexpr uint64_t kMaxSeeds = 1000;

struct BugCase {
  raft::RaftBugs bug;
  int members;
};

class RaftBugSweepTest : public ::testing::TestWithParam<BugCase> {};

TEST_P(RaftBugSweepTest, SweepFindsTheBugAndTheSameSeedsPassWithoutIt) {
  const BugCase& bug_case = GetParam();
  RaftScenarioOptions options;
  options.members = bug_case.members;
  options.bugs = bug_case.bug;
  uint64_t found_seed = 0;
  std::string failure;
  for (uint64_t seed = 1; seed <= kMaxSeeds; ++seed) {
    options.seed = seed;
    const RaftScenarioResult result = RunRaftScenario(options);
    if (!result.ok) {
      found_seed = seed;
      failure = result.failure;
      break;
    }
  }
  ASSERT_NE(found_seed, 0u) << raft::RaftBugName(bug_case.bug) << ": no violation in "
                            << kMaxSeeds << " seeds";
  std::printf("bug %s (members=%d): found at seed %llu (%llu seeds): %s\n  replay: %s\n",
              std::string(raft::RaftBugName(bug_case.bug)).c_str(), bug_case.members,
              static_cast<unsigned long long>(found_seed),
              static_cast<unsigned long long>(found_seed), failure.c_str(),
              RaftReplayCommand(options).c_str());
  EXPECT_EQ(failure.rfind("safety", 0), 0u) << failure;
  options.bugs = raft::kNone;
  for (uint64_t seed = 1; seed <= found_seed; ++seed) {
    options.seed = seed;
    const RaftScenarioResult result = RunRaftScenario(options);
    EXPECT_TRUE(result.ok) << "without the bug, seed " << seed << " failed: " << result.failure
                           << "\n  replay: " << RaftReplayCommand(options);
  }
}

std::string BugCaseName(const ::testing::TestParamInfo<BugCase>& info) {
  std::string name(raft::RaftBugName(info.param.bug));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name + "_" + std::to_string(info.param.members);
}

INSTANTIATE_TEST_SUITE_P(
    AllBugs, RaftBugSweepTest,
    ::testing::Values(BugCase{raft::kCountVotesFromWrongTerm, 3},
                      BugCase{raft::kForgetToPersistVote, 3},
                      BugCase{raft::kCommitOldTermByCounting, 3},
                      BugCase{raft::kCommitOldTermByCounting, 5},
                      BugCase{raft::kServeLeaseReadWhenDeposed, 3},
                      BugCase{raft::kAckBeforePersist, 3}),
    BugCaseName);

}  // namespace
}  // namespace kv::sim
