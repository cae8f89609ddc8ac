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

}  // namespace
}  // namespace kv::sim
