// Simulation tests of the Raft core: seed sweeps of 3- and 5-member groups
// under the swarm fault plan plus the Raft nemesis, with the safety
// invariants checked after every event, and determinism of the digest.
#include <cstdio>

#include <gtest/gtest.h>

#include "sim/raft/raft_scenario.h"

namespace kv::sim {
namespace {

// Runs seeds [first, last] and reports every failure with its replay line.
int SweepFailures(uint64_t first, uint64_t last, int members) {
  int failures = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    RaftScenarioOptions options;
    options.seed = seed;
    options.members = members;
    const RaftScenarioResult result = RunRaftScenario(options);
    if (!result.ok) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << ": " << result.failure
                    << "\n  replay: " << RaftReplayCommand(options);
    }
  }
  return failures;
}

TEST(RaftSimTest, ThreeMemberGroupsStaySafeAndLiveOver300Seeds) {
  EXPECT_EQ(SweepFailures(1, 300, 3), 0);
}

TEST(RaftSimTest, FiveMemberGroupsStaySafeAndLiveOver200Seeds) {
  EXPECT_EQ(SweepFailures(1, 200, 5), 0);
}

TEST(RaftSimTest, SameSeedGivesSameDigest) {
  RaftScenarioOptions options;
  options.seed = 7;
  const RaftScenarioResult first = RunRaftScenario(options);
  const RaftScenarioResult second = RunRaftScenario(options);
  EXPECT_EQ(first.digest, second.digest);
  EXPECT_EQ(first.events, second.events);
  EXPECT_EQ(first.report, second.report);
  options.seed = 8;
  EXPECT_NE(RunRaftScenario(options).digest, first.digest);
}

TEST(RaftSimTest, ReportNamesTheScenarioAndChecks) {
  RaftScenarioOptions options;
  options.seed = 3;
  options.members = 5;
  const RaftScenarioResult result = RunRaftScenario(options);
  EXPECT_NE(result.report.find("members=5"), std::string::npos);
  EXPECT_NE(result.report.find("checks: safety ok"), std::string::npos);
  EXPECT_GT(result.events, 1000u);
}

}  // namespace
}  // namespace kv::sim
