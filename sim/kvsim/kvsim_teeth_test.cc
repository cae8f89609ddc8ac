// Teeth: with each deliberately injectable bug switched on, a sweep must find
// a failure, and the same seeds must pass with the bug off. Runs the kvsim
// binary (a parallel sweep, so a bug that trips an invariant check and
// aborts fails its seed instead of this test). Prints, per bug, the seeds it
// took and the check that caught it (docs/simulator.md keeps the table).

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "properties/testing/regex.h"
#include "sim/kvsim/kvsim_runner_for_tests.h"

namespace {

using Outcome = ::kv::sim::testing::KvsimOutcome;

Outcome RunKvsim(const std::string& arguments) {
  return ::kv::sim::testing::RunKvsim(arguments, /*with_stderr=*/false);
}

struct Teeth {
  const char* bug;
  const char* options;  // Scenario flags for the sweep.
  int max_seeds;
};

class TeethTest : public ::testing::TestWithParam<Teeth> {};

TEST_P(TeethTest, SweepFindsTheBugAndTheSameSeedsPassWithoutIt) {
  const Teeth& t = GetParam();
  const std::string range = "--seeds 1.." + std::to_string(t.max_seeds);
  const Outcome with_bug = RunKvsim(std::string("sweep ") + range + " --jobs 2 --max-failures 1 --quiet --bug " +
                                    t.bug + " " + t.options);
  ASSERT_EQ(with_bug.exit_status, 1) << t.bug << " was not found in " << t.max_seeds << " seeds\n"
                                     << with_bug.output;
  std::smatch m;
  const std::regex failure_line(R"(seed (\d+): FAIL ([^:\n]+))");
  ASSERT_TRUE(std::regex_search(with_bug.output, m, failure_line)) << with_bug.output;
  const int seed = std::stoi(m[1]);
  std::printf("teeth: --bug %s found at seed %d by: %s\n", t.bug, seed, m[2].str().c_str());
  // Without the bug, the seeds up to the one that failed all pass.
  const Outcome without = RunKvsim("sweep --seeds 1.." + std::to_string(seed) + " --jobs 2 --quiet " + t.options);
  EXPECT_EQ(without.exit_status, 0) << without.output;
}

INSTANTIATE_TEST_SUITE_P(
    Bugs, TeethTest,
    ::testing::Values(Teeth{"skip-dedup", "--system pingack --fault-phase-ms 2000", 60},
                      Teeth{"apply-retry-twice", "--fault-phase-ms 3000", 60},
                      Teeth{"ack-before-sync", "--fault-phase-ms 3000", 60},
                      Teeth{"applied-index-apart", "--fault-phase-ms 3000", 60},
                      // A stale read needs a deposed leader that still
                      // serves while its successor commits writes: check
                      // quorum keeps that window short, so 20 clients on 2
                      // shards and a 20 s fault phase give it more chances.
                      // Even so about 3% of seeds catch it (5 and 6 of seeds
                      // 1..200 on two recent mains), so 80 seeds missed it
                      // about once in 11 changes of the runs; 200 miss it
                      // about once in 450. A sweep stops at its first
                      // failure, so the budget costs only when it is used.
                      Teeth{"read-without-read-index", "--shards 2 --clients 20 --fault-phase-ms 20000", 200}),
    [](const ::testing::TestParamInfo<Teeth>& info) {
      std::string name = info.param.bug;
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

}  // namespace
