#include "sim/raft/raft_command.h"

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "raft/config.h"
#include "sim/fault_coverage.h"
#include "sim/forked_sweep.h"
#include "sim/raft/raft_scenario.h"
#include "sim/sweep_seeds.h"

namespace kv::sim {
namespace {

constexpr char kUsage[] =
    "usage: kvsim raft --seed S [--members 3|5] [--bug NAME] [--fault-phase-ms MS]\n"
    "       kvsim raft-sweep --seeds A..B [--members 3|5] [--bug NAME] [--fault-phase-ms MS]"
    " [--quiet] [--jobs N]\n"
    "bugs: count-votes-wrong-term forget-persist-vote commit-old-term stale-lease-read"
    " ack-before-persist\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "kvsim: %s\n%s", message.c_str(), kUsage);
  return 2;
}

struct ParsedArgs {
  std::map<std::string, std::string> values;
  bool quiet = false;
};

absl::StatusOr<ParsedArgs> ParseArgs(int argc, char** argv, bool sweep) {
  ParsedArgs parsed;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(fmt::format("unexpected argument '{}'", arg));
    }
    arg = arg.substr(2);
    if (sweep && arg == "quiet") {
      parsed.quiet = true;
      continue;
    }
    std::string value;
    const size_t equals = arg.find('=');
    const bool has_inline_value = equals != std::string::npos;
    if (has_inline_value) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
    }
    // Known or not is decided before the value: a last, unknown flag is
    // unknown, not short of a value.
    const bool known = arg == "members" || arg == "bug" || arg == "fault-phase-ms" ||
                       (sweep ? arg == "seeds" || arg == "jobs" : arg == "seed");
    if (!known) return absl::InvalidArgumentError(fmt::format("unknown flag --{}", arg));
    if (!has_inline_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(fmt::format("--{} needs a value", arg));
      value = argv[++i];
    }
    if (arg != "bug" && parsed.values.count(arg) != 0) {
      return absl::InvalidArgumentError(fmt::format("--{} given twice", arg));
    }
    if (arg == "bug" && parsed.values.count("bug") != 0) {
      parsed.values["bug"] += "," + value;
    } else {
      parsed.values[arg] = value;
    }
  }
  return parsed;
}

absl::StatusOr<uint64_t> ParseUint(const std::string& name, const std::string& text) {
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(fmt::format("--{}: '{}' is not a number", name, text));
  }
  return value;
}

absl::Status ReadCommon(const ParsedArgs& args, RaftScenarioOptions& options) {
  if (auto it = args.values.find("members"); it != args.values.end()) {
    absl::StatusOr<uint64_t> members = ParseUint("members", it->second);
    if (!members.ok()) return members.status();
    if (*members != 3 && *members != 5) {
      return absl::InvalidArgumentError(
          fmt::format("--members must be 3 or 5, got {}", *members));
    }
    options.members = static_cast<int>(*members);
  }
  if (auto it = args.values.find("fault-phase-ms"); it != args.values.end()) {
    absl::StatusOr<uint64_t> milliseconds = ParseUint("fault-phase-ms", it->second);
    if (!milliseconds.ok()) return milliseconds.status();
    if (*milliseconds < 100 || *milliseconds > 600'000) {
      return absl::InvalidArgumentError(
          fmt::format("--fault-phase-ms must be 100..600000, got {}", *milliseconds));
    }
    options.fault_phase_ns = static_cast<env::DurationNs>(*milliseconds) * env::kMillisecond;
  }
  if (auto it = args.values.find("bug"); it != args.values.end()) {
    size_t start = 0;
    const std::string& names = it->second;
    while (start <= names.size()) {
      const size_t end = std::min(names.find(',', start), names.size());
      absl::StatusOr<raft::RaftBugs> bug = raft::ParseRaftBug(names.substr(start, end - start));
      if (!bug.ok()) return bug.status();
      options.bugs |= *bug;
      start = end + 1;
    }
  }
  return absl::OkStatus();
}

void PrintResult(const RaftScenarioResult& result) {
  std::printf("%sresult: %s\nevents: %llu simulated: %lldms\ndigest: %016llx\n",
              result.report.c_str(), result.ok ? "PASS" : "FAIL",
              static_cast<unsigned long long>(result.events),
              static_cast<long long>(result.simulated_ns / env::kMillisecond),
              static_cast<unsigned long long>(result.digest));
}

int RunOne(const ParsedArgs& args) {
  auto it = args.values.find("seed");
  if (it == args.values.end()) return UsageError("raft needs --seed S");
  absl::StatusOr<uint64_t> seed = ParseUint("seed", it->second);
  if (!seed.ok()) return UsageError(std::string(seed.status().message()));
  RaftScenarioOptions options;
  options.seed = *seed;
  if (absl::Status s = ReadCommon(args, options); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  const RaftScenarioResult result = RunRaftScenario(options);
  PrintResult(result);
  return result.ok ? 0 : 1;
}

int RunSweep(const ParsedArgs& args) {
  auto it = args.values.find("seeds");
  if (it == args.values.end()) return UsageError("raft-sweep needs --seeds A..B");
  absl::StatusOr<std::pair<uint64_t, uint64_t>> range = ParseSeedRange("seeds", it->second);
  if (!range.ok()) return UsageError(std::string(range.status().message()));
  RaftScenarioOptions options;
  if (absl::Status s = ReadCommon(args, options); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  uint64_t jobs = 1;
  if (auto it_jobs = args.values.find("jobs"); it_jobs != args.values.end()) {
    absl::StatusOr<uint64_t> parsed = ParseUint("jobs", it_jobs->second);
    if (!parsed.ok() || *parsed < 1 || *parsed > 256) {
      return UsageError(fmt::format("--jobs must be 1..256, got '{}'", it_jobs->second));
    }
    jobs = *parsed;
  }
  uint64_t passed = 0;
  uint64_t failed = 0;
  absl::StatusOr<std::vector<uint64_t>> seeds = SweepSeeds(range->first, range->second);
  if (!seeds.ok()) return UsageError(std::string(seeds.status().message()));
  // In forked workers (sim/forked_sweep.h): a seed that aborts at a check
  // fails alone instead of ending the sweep.
  FaultCoverage coverage;  // Over the seeds that ran to their report.
  RunSeedsInForkedWorkers(
      *seeds, static_cast<int>(jobs),
      [&](uint64_t seed) {
        options.seed = seed;
        const RaftScenarioResult result = RunRaftScenario(options);
        WorkerSeedResult r;
        r.passed = result.ok;
        r.digest = result.digest;
        r.failure = result.failure;
        r.report = result.report;
        return r;
      },
      [&](const WorkerSeedResult& r) {
        if (!r.report.empty()) coverage.AddRun(r.report);
        if (r.passed) {
          ++passed;
          if (!args.quiet) {
            std::printf("seed %llu: pass digest %016llx\n", static_cast<unsigned long long>(r.seed),
                        static_cast<unsigned long long>(r.digest));
          }
        } else {
          ++failed;
          RaftScenarioOptions replay = options;
          replay.seed = r.seed;
          std::printf("seed %llu: FAIL %s\n  replay: %s\n", static_cast<unsigned long long>(r.seed),
                      r.failure.c_str(), RaftReplayCommand(replay).c_str());
        }
        std::fflush(stdout);
        return true;
      });
  std::printf("raft-sweep %llu..%llu: %llu passed, %llu failed\n",
              static_cast<unsigned long long>(range->first), static_cast<unsigned long long>(range->second),
              static_cast<unsigned long long>(passed), static_cast<unsigned long long>(failed));
  std::fputs(coverage.SummaryLines().c_str(), stdout);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int RaftCommandMain(int argc, char** argv) {
  if (argc < 1) return UsageError("missing subcommand");
  const std::string command = argv[0];
  const bool sweep = command == "raft-sweep";
  if (!sweep && command != "raft") return UsageError(fmt::format("unknown subcommand '{}'", command));
  absl::StatusOr<ParsedArgs> args = ParseArgs(argc, argv, sweep);
  if (!args.ok()) return UsageError(std::string(args.status().message()));
  return sweep ? RunSweep(*args) : RunOne(*args);
}

}  // namespace kv::sim
