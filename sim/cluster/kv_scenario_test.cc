#include "sim/cluster/kv_scenario.h"

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

KvScenarioOptions Seed(uint64_t seed) {
  KvScenarioOptions o;
  o.seed = seed;
  o.fault_phase_ns = 3 * env::kSecond;
  return o;
}

TEST(KvScenarioTest, FaultFreeRunPassesAllChecks) {
  KvScenarioOptions o = Seed(1);
  o.faults = false;
  const KvScenarioResult r = RunKvScenario(o);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_NE(r.report.find("acknowledged="), std::string::npos);
}

TEST(KvScenarioTest, SameSeedSameDigest) {
  const KvScenarioResult a = RunKvScenario(Seed(3));
  const KvScenarioResult b = RunKvScenario(Seed(3));
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.report, b.report);
}

TEST(KvScenarioTest, SweepWithFaultsPasses) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const KvScenarioResult r = RunKvScenario(Seed(seed));
    EXPECT_TRUE(r.ok) << "replay: kvsim run --seed " << seed << " --fault-phase-ms 3000\n" << r.report;
  }
}

TEST(KvScenarioTest, DefaultEventBudgetGrowsWithTheRun) {
  KvScenarioOptions o;  // 10 clients, 8 shards x 3, 10 s + 20 s: the floor.
  EXPECT_EQ(DefaultKvMaxEvents(o), 2'000'000u);
  EXPECT_EQ(DrawKvScenario(o).max_events, 2'000'000u);
  // The standard scenario: 80 s x (50 x 5,000 + 24 x 500) events.
  o.clients = 50;
  o.fault_phase_ns = 60 * env::kSecond;
  EXPECT_EQ(DefaultKvMaxEvents(o), 80u * 262'000u);
  EXPECT_EQ(DrawKvScenario(o).max_events, 80u * 262'000u);
  // A partial second counts as a whole one.
  o.liveness_window_ns = 20 * env::kSecond + 1;
  EXPECT_EQ(DefaultKvMaxEvents(o), 81u * 262'000u);
  // Capped at what a scenario file accepts.
  o.clients = 1000;
  o.fault_phase_ns = o.liveness_window_ns = 3600 * env::kSecond;
  EXPECT_EQ(DefaultKvMaxEvents(o), 10'000'000'000u);
  // A budget that was asked for is kept.
  o.max_events = 1234;
  EXPECT_EQ(DrawKvScenario(o).max_events, 1234u);
}

}  // namespace
}  // namespace kv::sim
