// kvsim: the simulator's command line.
//
//   kvsim run   --seed S [options]        one run, with its scenario, counts, checks, digest
//   kvsim sweep --seeds A..B [options]    many runs; each failure as a one-line replay command
//   kvsim raft / raft-sweep ...           Raft groups under the simulator (see docs/raft.md)
//
// Exit status: 0 all checks passed, 1 a check failed, 2 bad usage.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/cluster/pingack_scenario.h"
#include "sim/kvsim/flags.h"

#ifdef KVSIM_HAVE_RAFT
#include "sim/raft/raft_command.h"
#endif

namespace kv::sim {
namespace {

constexpr const char* kUsage = R"(usage:
  kvsim run   --seed S [options]      run one seed and print its scenario, checks and digest
  kvsim sweep --seeds A..B [options]  run seeds A through B; print a replay line per failure
)"
#ifdef KVSIM_HAVE_RAFT
R"(  kvsim raft  --seed S [--members 3|5] [--bug NAME]      one Raft-group run (docs/raft.md)
  kvsim raft-sweep --seeds A..B [--members N] [--bug NAME]
)"
#endif
R"(  kvsim help

options for run and sweep:
  --nodes N            cluster size (default: drawn from the seed, 3..7)
  --fault-phase-ms MS  length of the fault phase in simulated ms (default 10000)
  --liveness-ms MS     time allowed to drain after healing (default 10000)
  --no-faults          draw the fault plan but do not apply it
  --bug NAME           switch on an injected bug: skip-dedup
  --quiet              (sweep) print only failures and the summary
)";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "kvsim: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

const std::set<std::string> kScenarioValueFlags = {"nodes", "fault-phase-ms", "liveness-ms", "bug"};

// Reads the options shared by run and sweep into `options`.
absl::Status ReadScenarioOptions(const Flags& flags, ScenarioOptions& options, std::string& replay_flags) {
  auto nodes = flags.GetUint("nodes", 0);
  auto fault_ms = flags.GetUint("fault-phase-ms", 10'000);
  auto liveness_ms = flags.GetUint("liveness-ms", 10'000);
  for (const auto* s : {&nodes, &fault_ms, &liveness_ms}) {
    if (!s->ok()) return s->status();
  }
  if (flags.Has("nodes") && (*nodes < 2 || *nodes > 64)) {
    return absl::InvalidArgumentError(absl::StrCat("--nodes must be 2..64, got ", *nodes));
  }
  if (*fault_ms == 0 || *fault_ms > 3'600'000 || *liveness_ms > 3'600'000) {
    return absl::InvalidArgumentError("--fault-phase-ms must be 1..3600000 and --liveness-ms at most 3600000");
  }
  options.node_count = static_cast<int>(*nodes);
  options.fault_phase_ns = static_cast<int64_t>(*fault_ms) * env::kMillisecond;
  options.liveness_window_ns = static_cast<int64_t>(*liveness_ms) * env::kMillisecond;
  options.faults = !flags.Has("no-faults");
  const std::string bug = flags.GetString("bug", "");
  if (bug == "skip-dedup") {
    options.bug_skip_dedup = true;
  } else if (!bug.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown --bug '", bug, "' (known: skip-dedup)"));
  }
  // The flags a replay needs, besides the seed.
  if (flags.Has("nodes")) absl::StrAppend(&replay_flags, " --nodes ", *nodes);
  if (flags.Has("fault-phase-ms")) absl::StrAppend(&replay_flags, " --fault-phase-ms ", *fault_ms);
  if (flags.Has("liveness-ms")) absl::StrAppend(&replay_flags, " --liveness-ms ", *liveness_ms);
  if (!options.faults) absl::StrAppend(&replay_flags, " --no-faults");
  if (!bug.empty()) absl::StrAppend(&replay_flags, " --bug ", bug);
  return absl::OkStatus();
}

int RunCommand(const std::vector<std::string>& args) {
  std::set<std::string> value_flags = kScenarioValueFlags;
  value_flags.insert("seed");
  auto flags = Flags::Parse(args, value_flags, {"no-faults"});
  if (!flags.ok()) return UsageError(std::string(flags.status().message()));
  if (!flags->Has("seed")) return UsageError("run needs --seed S");
  auto seed = flags->GetUint("seed", 0);
  if (!seed.ok()) return UsageError(std::string(seed.status().message()));
  ScenarioOptions options;
  std::string replay_flags;
  if (absl::Status s = ReadScenarioOptions(*flags, options, replay_flags); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  options.seed = *seed;
  const ScenarioResult result = RunPingAckScenario(options);
  std::printf("%sresult: %s\ndigest: %016llx\n", result.report.c_str(), result.ok ? "PASS" : "FAIL",
              static_cast<unsigned long long>(result.digest));
  return result.ok ? 0 : 1;
}

int SweepCommand(const std::vector<std::string>& args) {
  std::set<std::string> value_flags = kScenarioValueFlags;
  value_flags.insert("seeds");
  auto flags = Flags::Parse(args, value_flags, {"no-faults", "quiet"});
  if (!flags.ok()) return UsageError(std::string(flags.status().message()));
  auto range = flags->GetSeedRange("seeds");
  if (!range.ok()) return UsageError(std::string(range.status().message()));
  ScenarioOptions options;
  std::string replay_flags;
  if (absl::Status s = ReadScenarioOptions(*flags, options, replay_flags); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  const bool quiet = flags->Has("quiet");
  uint64_t passed = 0, failed = 0, events = 0;
  const auto [first, last] = *range;
  for (uint64_t seed = first;; ++seed) {
    options.seed = seed;
    const ScenarioResult result = RunPingAckScenario(options);
    events += result.events;
    if (result.ok) {
      ++passed;
      if (!quiet) std::printf("seed %llu: pass digest %016llx\n", static_cast<unsigned long long>(seed),
                              static_cast<unsigned long long>(result.digest));
    } else {
      ++failed;
      std::printf("seed %llu: FAIL %s\n  replay: kvsim run --seed %llu%s\n",
                  static_cast<unsigned long long>(seed), result.failures[0].c_str(),
                  static_cast<unsigned long long>(seed), replay_flags.c_str());
    }
    std::fflush(stdout);
    if (seed == last) break;
  }
  std::printf("sweep %llu..%llu: %llu events\n%llu passed, %llu failed\n",
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(last),
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(passed),
              static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  if (argc < 2) return UsageError("missing command");
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "run") return RunCommand(args);
  if (command == "sweep") return SweepCommand(args);
  if (command == "help" || command == "--help" || command == "-h") {
    std::printf("%s", kUsage);
    return 0;
  }
#ifdef KVSIM_HAVE_RAFT
  if (command == "raft" || command == "raft-sweep") return RaftCommandMain(argc - 1, argv + 1);
#endif
  return UsageError(absl::StrCat("unknown command '", command, "'"));
}

}  // namespace
}  // namespace kv::sim

int main(int argc, char** argv) { return kv::sim::Main(argc, argv); }
