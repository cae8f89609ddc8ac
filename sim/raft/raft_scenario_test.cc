// Simulation tests of the Raft core: seed sweeps of 3- and 5-member groups
// under the swarm fault plan plus the Raft and Figure 8 nemeses, with the safety
// invariants checked after every event, and determinism of the digest.
#include <cstdio>

#include <gtest/gtest.h>

#include "sim/fault_coverage.h"
#include "sim/raft/raft_command.h"
#include "sim/raft/raft_scenario.h"

namespace kv::sim {
namespace {

// CI runs a shorter fault phase than the default (3 s) to keep 500 seeds of
// a Debug+ASan build within a couple of minutes; `kvsim raft-sweep` runs the
// full length.
constexpr env::DurationNs kCiFaultPhaseNs = 2 * env::kSecond;

// Sums of the coverage probes over a sweep.
struct Coverage {
  uint64_t snapshots_installed = 0;
  uint64_t writes_lost_in_crash = 0;
  uint64_t transfers_requested = 0;
  uint64_t conf_changes_proposed = 0;
  uint64_t reads_checked = 0;
  uint64_t compactions = 0;
  uint64_t proposals_refused = 0;
  uint64_t runs_with_leader_changes = 0;
  uint64_t figure8_cycles = 0;
  uint64_t appends_held = 0;
  // Every fault kind the plans drew, and whether it ever fired.
  FaultCoverage faults;
};

// Runs seeds [first, last] and reports every failure with its replay line.
int SweepFailures(uint64_t first, uint64_t last, int members, Coverage& coverage) {
  int failures = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    RaftScenarioOptions options;
    options.seed = seed;
    options.members = members;
    options.fault_phase_ns = kCiFaultPhaseNs;
    const RaftScenarioResult result = RunRaftScenario(options);
    coverage.snapshots_installed += result.stats.snapshots_installed;
    coverage.writes_lost_in_crash += result.stats.writes_lost_in_crash;
    coverage.transfers_requested += result.stats.transfers_requested;
    coverage.conf_changes_proposed += result.stats.conf_changes_proposed;
    coverage.reads_checked += result.reads_checked;
    coverage.compactions += result.stats.compactions;
    coverage.proposals_refused += result.stats.proposals_refused;
    coverage.runs_with_leader_changes += result.leaders > 1;
    coverage.figure8_cycles += result.figure8_cycles;
    coverage.appends_held += result.stats.appends_held;
    coverage.faults.AddRun(result.report);
    if (!result.ok) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << ": " << result.failure
                    << "\n  replay: " << RaftReplayCommand(options);
    }
  }
  return failures;
}

// Every rare path the invariants guard must actually run: a sweep that never
// installs a snapshot or loses a write in a crash proves nothing about them.
void ExpectCovered(const Coverage& coverage) {
  EXPECT_GT(coverage.snapshots_installed, 0u);
  EXPECT_GT(coverage.writes_lost_in_crash, 0u);
  EXPECT_GT(coverage.transfers_requested, 0u);
  EXPECT_GT(coverage.conf_changes_proposed, 0u);
  EXPECT_GT(coverage.reads_checked, 0u);
  EXPECT_GT(coverage.compactions, 0u);
  EXPECT_GT(coverage.proposals_refused, 0u);
  EXPECT_GT(coverage.runs_with_leader_changes, 0u);
  // The Figure 8 nemesis must carry whole cycles through, not just start them.
  EXPECT_GT(coverage.figure8_cycles, 0u);
  EXPECT_GT(coverage.appends_held, 0u);
  // A fault kind the plans draw but that never fires is a false green (the
  // memory faults once were: the Raft core has no memory budget).
  EXPECT_EQ(coverage.faults.NeverFiredToString(), "") << coverage.faults.ToString();
  EXPECT_NE(coverage.faults.ToString().find("crash "), std::string::npos) << coverage.faults.ToString();
  EXPECT_EQ(coverage.faults.ToString().find("memory-"), std::string::npos) << coverage.faults.ToString();
}

TEST(RaftSimTest, ThreeMemberGroupsStaySafeAndLiveOver350Seeds) {
  Coverage coverage;
  EXPECT_EQ(SweepFailures(1, 350, 3, coverage), 0);
  ExpectCovered(coverage);
}

TEST(RaftSimTest, FiveMemberGroupsStaySafeAndLiveOver150Seeds) {
  Coverage coverage;
  EXPECT_EQ(SweepFailures(1, 150, 5, coverage), 0);
  ExpectCovered(coverage);
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

int RunCommand(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return RaftCommandMain(static_cast<int>(argv.size()), argv.data());
}

TEST(RaftCommandTest, BadFlagsAreUsageErrors) {
  EXPECT_EQ(RunCommand({"raft"}), 2);
  EXPECT_EQ(RunCommand({"raft", "--seed", "x"}), 2);
  EXPECT_EQ(RunCommand({"raft", "--seed", "1", "--members", "4"}), 2);
  EXPECT_EQ(RunCommand({"raft", "--seed", "1", "--bug", "no-such-bug"}), 2);
  EXPECT_EQ(RunCommand({"raft", "--seed", "1", "--bogus", "1"}), 2);
  EXPECT_EQ(RunCommand({"raft-sweep", "--seeds", "5..3"}), 2);
  EXPECT_EQ(RunCommand({"raft-sweep", "--seed", "5"}), 2);
}

TEST(RaftCommandTest, RunAndSweepReportPassAndFail) {
  EXPECT_EQ(RunCommand({"raft", "--seed", "2", "--fault-phase-ms", "500"}), 0);
  EXPECT_EQ(RunCommand({"raft-sweep", "--seeds", "1..2", "--quiet", "--fault-phase-ms", "500"}),
            0);
  // ack-before-persist is found at seed 5 (docs/raft.md).
  EXPECT_EQ(RunCommand({"raft", "--seed", "5", "--bug", "ack-before-persist"}), 1);
}

}  // namespace
}  // namespace kv::sim
