// Runs the kvsim binary as separate processes: the same seed must give the
// same digest across processes (nothing may depend on addresses, hash seeds
// or the environment), and bad usage must fail cleanly with exit status 2.

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "sim/kvsim/kvsim_runner_for_tests.h"

namespace {

using Outcome = ::kv::sim::testing::KvsimOutcome;

Outcome RunKvsim(const std::string& arguments) {
  return ::kv::sim::testing::RunKvsim(arguments, /*with_stderr=*/true);
}

std::string DigestLine(const std::string& output) {
  const size_t pos = output.find("digest: ");
  return pos == std::string::npos ? "" : output.substr(pos, output.find('\n', pos) - pos);
}

TEST(KvsimProcessTest, SameSeedSameDigestAcrossProcesses) {
  const Outcome a = RunKvsim("run --seed 11 --fault-phase-ms 2000");
  const Outcome b = RunKvsim("run --seed 11 --fault-phase-ms 2000");
  ASSERT_EQ(a.exit_status, 0) << a.output;
  ASSERT_FALSE(DigestLine(a.output).empty()) << a.output;
  EXPECT_EQ(DigestLine(a.output), DigestLine(b.output));
  EXPECT_EQ(a.output, b.output);  // The whole report, not only the digest.
}

TEST(KvsimProcessTest, DifferentSeedsDifferentDigests) {
  const Outcome a = RunKvsim("run --seed 11 --fault-phase-ms 2000");
  const Outcome b = RunKvsim("run --seed 12 --fault-phase-ms 2000");
  EXPECT_NE(DigestLine(a.output), DigestLine(b.output));
}

TEST(KvsimProcessTest, RunPrintsScenarioFaultsChecksAndDigest) {
  const Outcome a = RunKvsim("run --seed 3 --fault-phase-ms 2000");
  for (const char* part : {"scenario: kv servers=5 shards=8 replication=3 clients=10", "fault classes:",
                           "network: sent=", "workload: ops=", "checks: reads ok", "result: PASS", "digest: "}) {
    EXPECT_NE(a.output.find(part), std::string::npos) << part << "\n" << a.output;
  }
  const Outcome p = RunKvsim("run --system pingack --seed 3 --fault-phase-ms 2000");
  for (const char* part : {"scenario: nodes=", "protocol: issued=", "checks: exactly-once", "result: PASS"}) {
    EXPECT_NE(p.output.find(part), std::string::npos) << part << "\n" << p.output;
  }
}

TEST(KvsimProcessTest, BadUsageExitsTwoWithAClearMessage) {
  const struct {
    const char* arguments;
    const char* message;
  } cases[] = {
      {"", "missing command"},
      {"fly", "unknown command 'fly'"},
      {"run", "run needs --seed S"},
      {"run --seed", "needs a value"},
      {"run --seed x", "non-negative integer"},
      {"run --seed 1 --colour red", "unknown flag --colour"},
      {"run --seed 1 --bug nope", "unknown --bug 'nope'"},
      {"run --seed 1 --system pingack --bug nope", "unknown --bug 'nope'"},
      {"run --seed 1 --system pingack --nodes 1", "--nodes must be 2..64"},
      {"run --seed 1 --system raft", "unknown --system 'raft'"},
      {"run --seed 1 --servers 3 --replication 4", "--replication 4 exceeds --servers 3"},
      {"run --seed 1 --nodes 3", "--nodes applies to --system pingack"},
      {"run --seed 1 --system pingack --shards 3", "--shards applies to --system kv only"},
      {"sweep --seeds 5..2", "is empty"},
      {"sweep", "--seeds is required"},
      {"determinism", "determinism needs --seeds A..B"},
      {"determinism --seeds 1..3 --sample x", "non-negative integer"},
      {"determinism --seeds 1..3 --system pingack", "determinism checks --system kv runs"},
      {"run --seed 1 --system pingack --trail t", "--trail applies to --system kv only"},
      // The last value winning would run something other than asked.
      {"run --seed 1 --seed 2", "flag --seed given twice"},
      {"sweep --seeds 1..3 --bug apply-retry-twice --bug stale-lease-read", "flag --bug given twice"},
      {"sweep --seeds 1..3 --max-failures 0", "--max-failures must be at least 1"},
      // Counted, not listed until memory runs out.
      {"sweep --seeds 0..18446744073709551615", "number 18446744073709551616; one process runs at most 10000000"},
      {"raft-sweep --seeds 1..20000000", "number 20000000; one process runs at most 10000000"},
      {"determinism --seeds 0..18446744073709551615", "one process runs at most 10000000"},
      // Judged as `run` would, before any run: not reported as divergence.
      {"determinism --seeds 1..2 --servers 0", "--servers must be 1..64, got 0"},
      {"determinism --seeds 1..2 --bug nope", "unknown --bug 'nope'"},
      {"run --seed 1 --print-scenario --trail t", "--trail records a run; --print-scenario runs nothing"},
      {"run --scenario f --trail t", "--trail records runs of --seed S only"},
      {"run --scenario f --print-scenario", "--scenario F is one already"},
      // Unwritable outputs fail before the run, not after it.
      {"run --seed 1 --trail /nonexistent-dir/t", "--trail /nonexistent-dir/t: cannot write: No such file"},
      {"shrink --seed 1 --out /nonexistent-dir/s", "--out /nonexistent-dir/s: cannot write: No such file"},
      {"raft --seed 5 --quiet", "unknown flag --quiet"},
      // raft-sweep reads its range as sweep does (one parser).
      {"raft-sweep --seeds 5..2", "flag --seeds: range 5..2 is empty (5 > 2)"},
      {"raft-sweep --seeds 1..-3", "flag --seeds wants A..B or A (non-negative integers), got '1..-3'"},
  };
  for (const auto& c : cases) {
    const Outcome o = RunKvsim(c.arguments);
    EXPECT_EQ(o.exit_status, 2) << c.arguments << "\n" << o.output;
    EXPECT_NE(o.output.find(c.message), std::string::npos) << c.arguments << "\n" << o.output;
    EXPECT_NE(o.output.find("usage:"), std::string::npos) << c.arguments;
  }
}

TEST(KvsimProcessTest, SweepWithInjectedBugFailsAndPrintsReplayLines) {
  const Outcome o = RunKvsim("sweep --system pingack --seeds 1..10 --fault-phase-ms 2000 --bug skip-dedup --quiet");
  EXPECT_EQ(o.exit_status, 1) << o.output;
  EXPECT_NE(o.output.find("replay: kvsim run --seed "), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("--bug skip-dedup"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("exactly-once"), std::string::npos) << o.output;
}

TEST(KvsimProcessTest, CleanSweepPasses) {
  const Outcome o = RunKvsim("sweep --system pingack --seeds 1..10 --fault-phase-ms 2000 --quiet");
  EXPECT_EQ(o.exit_status, 0) << o.output;
  EXPECT_NE(o.output.find("10 passed, 0 failed"), std::string::npos) << o.output;
  const Outcome kv = RunKvsim("sweep --seeds 1..3 --fault-phase-ms 2000 --quiet");
  EXPECT_EQ(kv.exit_status, 0) << kv.output;
  EXPECT_NE(kv.output.find("3 passed, 0 failed"), std::string::npos) << kv.output;
  // The sweep's fault tally over its seeds (fault_coverage.h), in both ways
  // of running them.
  EXPECT_NE(kv.output.find("faults over 3 seeds (seeds fired/planned, times fired): "), std::string::npos)
      << kv.output;
  const Outcome parallel = RunKvsim("sweep --seeds 1..3 --fault-phase-ms 2000 --quiet --jobs 2");
  EXPECT_EQ(parallel.output.substr(parallel.output.find("faults over")),
            kv.output.substr(kv.output.find("faults over")));
}

}  // namespace

namespace {

TEST(KvsimProcessTest, ParallelSweepReportsEverySeedAsSequentialRunsDo) {
  const Outcome o = RunKvsim(
      "sweep --system pingack --seeds 1..6 --jobs 2 --fault-phase-ms 2000 --bug skip-dedup --quiet");
  EXPECT_EQ(o.exit_status, 1) << o.output;
  EXPECT_NE(o.output.find("replay: kvsim run --seed "), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("(shard 1/1, 6 seeds)"), std::string::npos) << o.output;
  const Outcome clean = RunKvsim("sweep --system pingack --seeds 1..6 --jobs 3 --fault-phase-ms 2000");
  EXPECT_EQ(clean.exit_status, 0) << clean.output;
  EXPECT_NE(clean.output.find("6 passed, 0 failed"), std::string::npos) << clean.output;
  // The same digests as in-process runs.
  const Outcome one = RunKvsim("run --system pingack --seed 4 --fault-phase-ms 2000");
  EXPECT_NE(clean.output.find("seed 4: pass digest " + DigestLine(one.output).substr(8)), std::string::npos)
      << clean.output << "\n" << one.output;
}

// With --bug ack-before-sync some seeds abort at a Raft check (seed 5 of
// 1..8 at this writing; docs/simulator.md). A sweep with one job runs its
// seeds in a forked worker, so the crash fails that seed and the sweep goes
// on, as with --jobs N.
TEST(KvsimProcessTest, AOneJobSweepGoesOnPastASeedThatCrashes) {
  const Outcome o = RunKvsim("sweep --seeds 1..8 --fault-phase-ms 3000 --bug ack-before-sync");
  EXPECT_EQ(o.exit_status, 1) << o.output;
  const size_t crash = o.output.find(": FAIL crashed with signal 6 (Aborted): RAFT_CHECK failed");
  ASSERT_NE(crash, std::string::npos) << o.output;
  const size_t line = o.output.rfind("seed ", crash);
  const int crashed_seed = std::stoi(o.output.substr(line + 5));
  // Every seed is reported, the crashed one's successors too.
  for (int seed = 1; seed <= 8; ++seed) {
    EXPECT_NE(o.output.find("seed " + std::to_string(seed) + ": "), std::string::npos) << seed << "\n" << o.output;
  }
  EXPECT_NE(o.output.find("  replay: kvsim run --seed " + std::to_string(crashed_seed) +
                          " --fault-phase-ms 3000 --bug ack-before-sync"),
            std::string::npos)
      << o.output;
  unsigned passed = 0, failed = 0;
  const size_t summary = o.output.find(" passed, ");
  ASSERT_NE(summary, std::string::npos) << o.output;
  ASSERT_EQ(std::sscanf(o.output.c_str() + o.output.rfind('\n', summary) + 1, "%u passed, %u failed", &passed,
                        &failed),
            2)
      << o.output;
  EXPECT_EQ(passed + failed, 8u);
  EXPECT_GE(failed, 1u);
}

TEST(KvsimProcessTest, ShardRunsAnInterleavedSliceOfTheSeeds) {
  const Outcome o = RunKvsim("sweep --system pingack --seeds 1..10 --shard 2/3 --fault-phase-ms 2000");
  EXPECT_EQ(o.exit_status, 0) << o.output;
  for (const char* seed : {"seed 2:", "seed 5:", "seed 8:"}) {
    EXPECT_NE(o.output.find(seed), std::string::npos) << seed << "\n" << o.output;
  }
  EXPECT_EQ(o.output.find("seed 3:"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("(shard 2/3, 3 seeds)"), std::string::npos) << o.output;
  EXPECT_EQ(RunKvsim("sweep --seeds 1..10 --shard 4/3").exit_status, 2);
  EXPECT_EQ(RunKvsim("sweep --seeds 1..10 --jobs 0").exit_status, 2);
}

}  // namespace

namespace {

TEST(KvsimProcessTest, DeterminismCheckRunsSampledSeedsTwiceAndFindsThemIdentical) {
  const Outcome o = RunKvsim("determinism --seeds 1..30 --sample 2 --fault-phase-ms 1500");
  EXPECT_EQ(o.exit_status, 0) << o.output;
  EXPECT_NE(o.output.find("seed 1: identical ("), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("seed 16: identical ("), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("random draws"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("determinism: 2 seeds run twice, 0 diverged"), std::string::npos) << o.output;
}

TEST(KvsimProcessTest, RunReportsItsRandomDrawsAndAnUnwritableTrailFails) {
  const Outcome o = RunKvsim("run --seed 2 --fault-phase-ms 1500");
  EXPECT_NE(o.output.find(" random draws: "), std::string::npos) << o.output;
  const Outcome bad = RunKvsim("run --seed 2 --fault-phase-ms 1500 --trail /nonexistent-dir/trail");
  EXPECT_EQ(bad.exit_status, 2) << bad.output;
  EXPECT_NE(bad.output.find("--trail /nonexistent-dir/trail: cannot write"), std::string::npos) << bad.output;
  EXPECT_EQ(bad.output.find("seed: 2"), std::string::npos) << "refused before the run\n" << bad.output;
}

TEST(KvsimProcessTest, MaxFailuresStopsTheSweepAndSaysSo) {
  const Outcome o = RunKvsim(
      "sweep --system pingack --seeds 1..10 --fault-phase-ms 2000 --bug skip-dedup --quiet --max-failures 1");
  EXPECT_EQ(o.exit_status, 1) << o.output;
  EXPECT_NE(o.output.find(" passed, 1 failed\nstopped after 1 failures (--max-failures): "), std::string::npos)
      << o.output;
}

TEST(KvsimProcessTest, AThinSliceOfTheWholeSeedSpaceRunsAtOnce) {
  const Outcome o = RunKvsim(
      "sweep --system pingack --seeds 0..18446744073709551615 --shard 1/18446744073709551615 --fault-phase-ms 500");
  EXPECT_EQ(o.exit_status, 0) << o.output;
  EXPECT_NE(o.output.find("seed 0: pass"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("seed 18446744073709551615: pass"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("2 seeds)\n2 passed, 0 failed"), std::string::npos) << o.output;
}

TEST(KvsimProcessTest, PingAckRunsKeepAnEventBudgetToo) {
  const Outcome o = RunKvsim("run --system pingack --seed 5 --max-events 1000");
  EXPECT_EQ(o.exit_status, 1) << o.output;
  EXPECT_NE(o.output.find("FAILURE: event budget: stopped after 1000 events"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("liveness not checked (the event budget stopped the run)"), std::string::npos)
      << o.output;
}

}  // namespace
