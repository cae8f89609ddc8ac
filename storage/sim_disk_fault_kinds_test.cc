#include "storage/sim_disk_fault_kinds.h"

#include <cstdint>
#include <iterator>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace kv::storage {
namespace {

TEST(SimDiskFaultKindsTest, EveryRateHasOneRowWithItsOwnFieldsAndNames) {
  // SimDiskFaults holds nothing but its rates: a rate added without a row
  // would be planned and never reported.
  EXPECT_EQ(sizeof(SimDiskFaults), std::size(kSimDiskFaultKinds) * sizeof(uint32_t));
  std::set<std::string> keys, names;
  SimDiskFaults faults{};
  SimDiskCounters counters{};
  uint32_t rate = 1;
  for (const SimDiskFaultKind& kind : kSimDiskFaultKinds) {
    keys.insert(kind.report_key);
    names.insert(kind.name);
    faults.*kind.rate_ppm = rate;
    counters.*kind.fired = rate;
    ++rate;
  }
  EXPECT_EQ(keys.size(), std::size(kSimDiskFaultKinds));
  EXPECT_EQ(names.size(), std::size(kSimDiskFaultKinds));
  // Distinct values in every field prove no two rows share a field.
  EXPECT_EQ(SimDiskFaultRatesToString(faults),
            "write_error=1 disk_full=2 sync_failure=3 read_corruption=4 latency_spike=5 torn_write=6");
  EXPECT_EQ(SimDiskFaultsFiredToString(counters),
            "write_error=1 disk_full=2 sync_failure=3 read_corruption=4 latency_spike=5 torn_write=6");
  EXPECT_EQ(faults.latency_spike_ppm, 5u);
  EXPECT_EQ(counters.read_corruptions, 4);
}

TEST(SimDiskFaultKindsTest, NeverFiredListsPlannedKindsThatDidNotFireExceptTornWrites) {
  SimDiskFaults faults{};
  faults.write_error_ppm = 100;
  faults.disk_full_ppm = 0;
  faults.sync_failure_ppm = 2000;
  faults.latency_spike_ppm = 100;
  faults.torn_write_ppm = 500'000;
  SimDiskCounters fired{};
  fired.sync_failures = 3;
  fired.disk_full_errors = 7;  // Fired without a rate: not "never fired".
  EXPECT_EQ(SimDiskFaultsNeverFired(faults, fired), "disk-write-error disk-latency-spike");
  fired.write_errors = 1;
  fired.latency_spikes = 1;
  EXPECT_EQ(SimDiskFaultsNeverFired(faults, fired), "");
  EXPECT_EQ(SimDiskFaultsNeverFired(SimDiskFaults{}, SimDiskCounters{}), "");
}

}  // namespace
}  // namespace kv::storage
