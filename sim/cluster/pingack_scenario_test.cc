#include "sim/cluster/pingack_scenario.h"

#include <set>

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

ScenarioOptions Seed(uint64_t seed) {
  ScenarioOptions o;
  o.seed = seed;
  o.fault_phase_ns = 3 * env::kSecond;
  return o;
}

TEST(PingAckScenarioTest, SameSeedGivesIdenticalRunInOneProcess) {
  const ScenarioResult a = RunPingAckScenario(Seed(42));
  const ScenarioResult b = RunPingAckScenario(Seed(42));
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.report, b.report);
  EXPECT_EQ(a.events, b.events);
}

TEST(PingAckScenarioTest, DifferentSeedsGiveDifferentDigests) {
  std::set<uint64_t> digests;
  for (uint64_t seed = 1; seed <= 20; ++seed) digests.insert(RunPingAckScenario(Seed(seed)).digest);
  EXPECT_EQ(digests.size(), 20u);
}

// A sweep: with faults on and no bug, every seed keeps the protocol's safety
// properties and drains after healing.
TEST(PingAckScenarioTest, SweepOfSeedsPasses) {
  int faults_seen = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const ScenarioResult r = RunPingAckScenario(Seed(seed));
    EXPECT_TRUE(r.ok) << "replay: kvsim run --seed " << seed << " --fault-phase-ms 3000\n" << r.report;
    faults_seen += r.report.find("faults fired:") != std::string::npos;
  }
  EXPECT_GT(faults_seen, 30);
}

// Teeth: the same sweep with the dedup bug switched on must find a violation.
TEST(PingAckScenarioTest, SweepFindsTheInjectedDedupBug) {
  int seeds_needed = 0;
  bool found = false;
  for (uint64_t seed = 1; seed <= 60 && !found; ++seed) {
    ScenarioOptions o = Seed(seed);
    o.bug_skip_dedup = true;
    const ScenarioResult r = RunPingAckScenario(o);
    ++seeds_needed;
    if (!r.ok) {
      found = true;
      ASSERT_FALSE(r.failures.empty());
      EXPECT_NE(r.failures[0].find("exactly-once"), std::string::npos) << r.failures[0];
    }
  }
  EXPECT_TRUE(found);
  RecordProperty("seeds_needed", seeds_needed);
}

TEST(PingAckScenarioTest, WithoutFaultsEverythingIsDeliveredAndDrains) {
  ScenarioOptions o = Seed(7);
  o.faults = false;
  const ScenarioResult r = RunPingAckScenario(o);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_NE(r.report.find("lost=0"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("faults: off"), std::string::npos);
}

}  // namespace
}  // namespace kv::sim
