// Scenario files and shrinking through the kvsim binary: a printed scenario
// replays with the seed's digest and verdict, bad files fail with exit
// status 2 and a message naming file, line and field, and `kvsim shrink`
// turns a failing seed into a smaller scenario file that fails the same
// check.

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "properties/testing/regex.h"
#include "sim/kvsim/forked_run.h"
#include "sim/kvsim/kvsim_runner_for_tests.h"
#include "sim/scenario/scenario_file.h"

namespace kv::sim {
namespace {

using Outcome = testing::KvsimOutcome;

Outcome Kvsim(const std::string& arguments, bool with_stderr = true) {
  return testing::RunKvsim(arguments, with_stderr);
}

std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  const size_t pos = text.find(prefix);
  return pos == std::string::npos ? "" : text.substr(pos, text.find('\n', pos) - pos);
}

std::string TempPath(const std::string& name) { return ::testing::TempDir() + "kvsim_scenario_test_" + name; }

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// The scenario `run <flags> --print-scenario` prints, saved to a file.
std::string PrintScenario(const std::string& flags, const std::string& name) {
  const Outcome printed = Kvsim("run " + flags + " --print-scenario", /*with_stderr=*/false);
  EXPECT_EQ(printed.exit_status, 0) << printed.output;
  const std::string path = TempPath(name);
  WriteFile(path, printed.output);
  return path;
}

// A small cluster and a short fault phase: sweeps and shrinks stay cheap
// under ASan, and the injected bugs below still fail within a few seeds.
constexpr const char* kSmall = "--servers 3 --shards 2 --clients 4 --fault-phase-ms 2000";

// The first seed in 1..max_seed that fails with `flags` (found by a sweep,
// as the teeth test does, rather than pinned: which seed fails changes with
// the code), or 0.
int FirstFailingSeed(const std::string& flags, int max_seed) {
  static std::map<std::string, int> found;  // Tests share sweeps (they cost seconds under ASan).
  if (auto it = found.find(flags); it != found.end()) return it->second;
  const Outcome sweep = Kvsim("sweep --seeds 1.." + std::to_string(max_seed) + " --jobs 2 --max-failures 1 --quiet " +
                                  flags,
                              /*with_stderr=*/false);
  std::smatch m;
  const int seed = std::regex_search(sweep.output, m, std::regex(R"(seed (\d+): FAIL)")) ? std::stoi(m[1]) : 0;
  found[flags] = seed;
  return seed;
}

TEST(KvsimScenarioTest, PrintedScenarioReplaysWithTheSeedsDigestAndVerdict) {
  const std::string bug = std::string(kSmall) + " --bug apply-retry-twice";
  const int failing = FirstFailingSeed(bug, 60);
  ASSERT_GT(failing, 0);
  const std::string cases[] = {"--seed 1 --fault-phase-ms 2000", "--seed 5 --fault-phase-ms 2000",
                               "--seed 8 --servers 3 --shards 2 --clients 4 --fault-phase-ms 2000",
                               "--seed 2 --no-faults --fault-phase-ms 1000",
                               "--seed 6 --buggify all --fault-phase-ms 2000",
                               "--seed " + std::to_string(failing) + " " + bug};
  int index = 0;
  for (const std::string& flags : cases) {
    const std::string path = PrintScenario(flags, "replay" + std::to_string(index++));
    const Outcome by_seed = Kvsim("run " + flags);
    const Outcome by_file = Kvsim("run --scenario " + path);
    ASSERT_FALSE(LineStartingWith(by_seed.output, "digest: ").empty()) << by_seed.output;
    EXPECT_EQ(LineStartingWith(by_file.output, "digest: "), LineStartingWith(by_seed.output, "digest: ")) << flags;
    EXPECT_EQ(LineStartingWith(by_file.output, "result: "), LineStartingWith(by_seed.output, "result: ")) << flags;
    EXPECT_EQ(by_file.exit_status, by_seed.exit_status) << flags;
    // The last case is a failing seed: its file must fail too.
    if (index == static_cast<int>(std::size(cases))) {
      EXPECT_EQ(by_file.exit_status, 1) << by_file.output;
    }
  }
}

TEST(KvsimScenarioTest, BadScenarioFilesFailWithFileLineAndField) {
  const std::string good = PrintScenario("--seed 4 --fault-phase-ms 2000", "good");
  std::ifstream in(good);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  struct Case {
    std::string from, to, expected;
  };
  const Case cases[] = {
      {"  servers: 5", "  servers: five", R"(:5:\d+: .*)"},
      {"  shards: 8", "  shards: 8\n  colour: 3", R"(:7:\d+: .*no field named "colour")"},
      {"  replication_factor: 3", "  replication_factor: 7",
       R"(:7: cluster\.replication_factor: replication factor 7 exceeds the 5 servers)"},
      {"  clients: 10\n", "", R"(:11: workload\.clients: missing)"},
      {"max_events: 2000000", "max_events: 2000000\nbugs: \"nope\"", R"(:\d+: bugs\[0\]: unknown bug 'nope')"},
      {"faults {", "faults {\n  events { at_ms: 5 kind: CRASH node: 17 }",
       R"(:\d+: faults\.events\[0\]\.node: node 17 is not a server \(0\.\.4\))"},
  };
  int index = 0;
  for (const Case& c : cases) {
    const size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    std::string broken = text;
    broken.replace(at, c.from.size(), c.to);
    const std::string path = TempPath("bad" + std::to_string(index++));
    WriteFile(path, broken);
    const Outcome o = Kvsim("run --scenario " + path);
    EXPECT_EQ(o.exit_status, 2) << o.output;
    EXPECT_TRUE(std::regex_search(o.output, std::regex("kvsim: " + path + c.expected))) << c.expected << "\n" << o.output;
    EXPECT_EQ(o.output.find("digest:"), std::string::npos) << o.output;
  }
  const Outcome missing = Kvsim("run --scenario " + TempPath("does-not-exist"));
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.output.find("cannot open scenario file"), std::string::npos) << missing.output;
  const Outcome mixed = Kvsim("run --scenario " + good + " --servers 3");
  EXPECT_EQ(mixed.exit_status, 2);
  EXPECT_NE(mixed.output.find("--servers cannot be combined with --scenario"), std::string::npos) << mixed.output;
  const Outcome pingack = Kvsim("run --system pingack --seed 1 --print-scenario");
  EXPECT_EQ(pingack.exit_status, 2) << pingack.output;
}

// Shrinks `flags` (a failing seed) and checks the result: no larger in any
// dimension, smaller in one, and `run --scenario` on it fails the same check.
void ExpectShrinks(const std::string& flags, const std::string& name) {
  const std::string original_path = PrintScenario(flags, name + "_original");
  const std::string out = TempPath(name + "_shrunk");
  const Outcome shrink = Kvsim("shrink " + flags + " --max-attempts 50 --out " + out);
  ASSERT_EQ(shrink.exit_status, 1) << shrink.output;
  EXPECT_NE(shrink.output.find("shrink: attempt 2: "), std::string::npos) << shrink.output;
  EXPECT_NE(shrink.output.find("replay: kvsim run --scenario " + out), std::string::npos) << shrink.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(shrink.output, m, std::regex(R"(attempts, \d+ kept; fails: ([^\n]+))")))
      << shrink.output;
  const std::string category = m[1];

  absl::StatusOr<KvScenario> original = scenario::ReadScenarioFile(original_path);
  absl::StatusOr<KvScenario> shrunk = scenario::ReadScenarioFile(out);
  ASSERT_TRUE(original.ok()) << original.status();
  ASSERT_TRUE(shrunk.ok()) << shrunk.status();
  const scenario::ScenarioSize a = scenario::SizeOf(*original), b = scenario::SizeOf(*shrunk);
  auto ops = [](uint64_t n) { return n == 0 ? UINT64_MAX : n; };  // 0: unlimited.
  EXPECT_LE(b.servers, a.servers);
  EXPECT_LE(b.shards, a.shards);
  EXPECT_LE(b.clients, a.clients);
  EXPECT_LE(b.fault_events, a.fault_events);
  EXPECT_LE(b.fault_phase_ns, a.fault_phase_ns);
  EXPECT_LE(ops(b.ops_per_client), ops(a.ops_per_client));
  EXPECT_TRUE(b.servers < a.servers || b.shards < a.shards || b.clients < a.clients ||
              b.fault_events < a.fault_events || b.fault_phase_ns < a.fault_phase_ns ||
              ops(b.ops_per_client) < ops(a.ops_per_client))
      << scenario::SizeToString(b);
  std::printf("shrink %s: %s -> %s (%s)\n", flags.c_str(), scenario::SizeToString(a).c_str(),
              scenario::SizeToString(b).c_str(), category.c_str());

  const Outcome replay = Kvsim("run --scenario " + out);
  // 1: a check failed; 134: the shell's status for a run that aborted.
  EXPECT_TRUE(replay.exit_status == 1 || replay.exit_status == 134) << replay.exit_status << "\n" << replay.output;
  if (category.rfind("crash", 0) == 0) {
    // A failed check aborts the run and prints where it failed.
    const std::string where = category.substr(std::string("crash at ").size());
    EXPECT_NE(replay.output.find(where), std::string::npos) << replay.output;
  } else {
    EXPECT_NE(replay.output.find("FAILURE: " + category + ":"), std::string::npos) << replay.output;
  }
}

TEST(KvsimScenarioTest, ShrinkKeepsTheFailedCheckAndMakesTheScenarioSmaller) {
  for (const char* bug : {"apply-retry-twice",
                          // Trips an invariant check (the run aborts):
                          // category "crash at FILE:LINE".
                          "ack-before-sync"}) {
    const std::string flags = std::string(kSmall) + " --bug " + bug;
    const int seed = FirstFailingSeed(flags, 60);
    ASSERT_GT(seed, 0) << bug << " not found in 60 seeds";
    ExpectShrinks("--seed " + std::to_string(seed) + " " + flags, bug);
  }
}

TEST(KvsimScenarioTest, ShrinkOfAPassingSeedSaysSoAndExitsZero) {
  const Outcome o = Kvsim("shrink --seed 1 --fault-phase-ms 1000");
  EXPECT_EQ(o.exit_status, 0) << o.output;
  EXPECT_NE(o.output.find("the scenario passes"), std::string::npos) << o.output;
}

TEST(ForkedRunTest, CrashCategoryNamesTheFailedCheck) {
  EXPECT_EQ(CrashCategory("x\nRAFT_CHECK failed: entries.ok() at /src/raft/raft_log.cc:185\n"),
            "crash at raft_log.cc:185");
  EXPECT_EQ(CrashCategory("CHECK failed at node/kv/kv_node.cc:42: a < b (3 vs 2)\n"), "crash at kv_node.cc:42");
  EXPECT_EQ(CrashCategory("AddressSanitizer: heap-use-after-free\n"), "crash");
}

TEST(ForkedRunTest, ChildReportsLikeAnInProcessRunAndSurvivesAnAbort) {
  KvScenarioOptions o;
  o.seed = 2;
  o.servers = 3;
  o.shards = 2;
  o.clients = 3;
  o.fault_phase_ns = env::kSecond;
  const KvScenario passing = DrawKvScenario(o);
  const scenario::CandidateOutcome in_child = RunCandidateInChild(passing);
  const scenario::CandidateOutcome here = scenario::RunCandidateInProcess(passing);
  EXPECT_FALSE(in_child.failed) << in_child.first_failure;
  EXPECT_EQ(in_child.digest, here.digest);
  EXPECT_EQ(in_child.max_client_ops, here.max_client_ops);

  // A clock drift the simulator refuses (the validator would too) fails a
  // check in SimClock, which aborts the child.
  KvScenario broken = passing;
  broken.plan.clock_drift_ppb[0] = -2'000'000'000;
  const scenario::CandidateOutcome crashed = RunCandidateInChild(broken);
  EXPECT_TRUE(crashed.failed);
  ASSERT_EQ(crashed.categories.size(), 1u);
  EXPECT_EQ(crashed.categories[0].rfind("crash at sim_clock.cc:", 0), 0u) << crashed.categories[0];
  EXPECT_NE(crashed.first_failure.find("signal 6"), std::string::npos) << crashed.first_failure;
}

}  // namespace
}  // namespace kv::sim
