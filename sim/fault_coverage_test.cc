#include "sim/fault_coverage.h"

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

// Two runs' reports, as kvsim run prints them (other lines ignored).
constexpr const char* kRunA =
    "seed: 1\n"
    "disk faults ppm: write_error=100 disk_full=0 sync_failure=0 read_corruption=0 latency_spike=0 torn_write=500000\n"
    "network: sent=10\n"
    "faults fired: crash=1/1 restart=1/1 bridge=0/1\n"
    "disk faults fired: write_error=0 disk_full=0 sync_failure=0 read_corruption=0 latency_spike=0 torn_write=0\n"
    "digest: 0123\n";
constexpr const char* kRunB =
    "disk faults ppm: write_error=2000 disk_full=0 sync_failure=0 read_corruption=0 latency_spike=0 torn_write=0\n"
    "faults fired: crash=2/2 restart=1/2 bridge=1/1\n"
    "disk faults fired: write_error=3 disk_full=0 sync_failure=0 read_corruption=0 latency_spike=0 torn_write=0\n"
    "buggify (seeded): kv.b=on fired 4/40 kv.a=off kv.c=on fired 0/9\n";

TEST(FaultCoverageTest, TalliesSeedsPlannedAndFiredPerKindInAFixedOrder) {
  FaultCoverage coverage;
  coverage.AddRun(kRunA);
  EXPECT_EQ(coverage.NeverFiredToString(), "bridge disk-write-error");  // Torn writes are never listed.
  coverage.AddRun(kRunB);
  EXPECT_EQ(coverage.ToString(),
            "faults over 2 seeds (seeds fired/planned, times fired): bridge 1/2 x1 crash 2/2 x3 restart 2/2 x2 "
            "disk-write-error 1/2 x3 torn-write 0/1 x0 kv.b 1/1 x4 kv.c 0/1 x0");
  EXPECT_EQ(coverage.NeverFiredToString(), "kv.c");
  EXPECT_EQ(coverage.SummaryLines(),
            coverage.ToString() + "\nfaults planned but never fired in any seed: kv.c\n");
}

TEST(FaultCoverageTest, SummaryIsOneLineWhenEveryKindFiredAndEmptyWhenNonePlanned) {
  FaultCoverage coverage;
  EXPECT_EQ(coverage.SummaryLines(), "");
  coverage.AddRun("faults fired: crash=1/1\n");
  EXPECT_EQ(coverage.SummaryLines(), "faults over 1 seeds (seeds fired/planned, times fired): crash 1/1 x1\n");
}

TEST(FaultCoverageTest, ARunWithoutFaultsCountsButAddsNoKind) {
  FaultCoverage coverage;
  coverage.AddRun("faults fired: none planned\n");
  coverage.AddRun("");  // A report without the lines (a crashed run's is never added).
  EXPECT_EQ(coverage.ToString(), "");
  coverage.AddRun(kRunB);
  EXPECT_EQ(coverage.ToString().rfind("faults over 3 seeds", 0), 0u) << coverage.ToString();
}

TEST(FaultCoverageTest, MalformedCountsAreIgnored) {
  FaultCoverage coverage;
  coverage.AddRun("faults fired: crash=x/1 pause=1 bridge=1/1\ndisk faults fired: write_error=y\n");
  EXPECT_EQ(coverage.ToString(), "faults over 1 seeds (seeds fired/planned, times fired): bridge 1/1 x1");
}

}  // namespace
}  // namespace kv::sim
