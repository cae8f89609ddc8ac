// kvsim: the simulator's command line.
//
//   kvsim run   --seed S [options]        one run, with its scenario, counts, checks, digest
//   kvsim sweep --seeds A..B [options]    many runs; each failure as a one-line replay command
//   kvsim replay --seed S --trace ...     the same run as `run`, with an event trace
//   kvsim run --scenario F                one run of a scenario file (sim/scenario/)
//   kvsim shrink --seed S [options]       reduce a failing run to a smaller scenario file
//   kvsim raft / raft-sweep ...           Raft groups under the simulator (see docs/raft.md)
//
// Exit status: 0 all checks passed, 1 a check failed, 2 bad usage.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/kv/kv_bugs.h"
#include "raft/config.h"
#include "sim/cluster/kv_scenario.h"
#include "sim/cluster/pingack_scenario.h"
#include "sim/fault_coverage.h"
#include "sim/sweep_seeds.h"
#include "sim/kvsim/flags.h"
#include "sim/forked_sweep.h"
#include "sim/kvsim/posix_determinism_check.h"
#include "sim/kvsim/posix_sweep_progress.h"
#include "sim/kvsim/posix_abort_flush.h"
#include "sim/kvsim/replay_trace.h"
#include "sim/kvsim/scenario_commands.h"
#include "sim/scenario/scenario_file.h"
#include "absl/strings/numbers.h"

#ifdef KVSIM_HAVE_RAFT
#include "sim/raft/raft_command.h"
#endif

namespace kv::sim {
namespace {

constexpr const char* kUsage = R"(usage:
  kvsim run   --seed S [options]      run one seed and print its scenario, checks and digest
  kvsim sweep --seeds A..B [options]  run seeds A through B; print a replay line per failure
  kvsim determinism --seeds A..B [--sample N] [options]
                                      run each seed (or N spread over the range; 0: all) twice in
                                      fresh processes; compare the digest and random-draw
                                      trail after every event; name the first divergence
  kvsim replay --seed S [options] --trace [--node X] [--shard N] [--from T] [--to T]
                                      the same run as `run`, with a line per event on stdout
  kvsim replay --seed S [options] --trace-json FILE
  kvsim replay --scenario F --trace ... | --trace-json FILE   (a scenario file, traced)
                                      the same run, as a Chrome trace (open in ui.perfetto.dev)
  kvsim run   --scenario F            run the scenario file F (kv; docs/simulator.md, "Scenario files")
  kvsim shrink --seed S [options] [--out F] [--max-attempts N]
  kvsim shrink --scenario F [--out F2] [--max-attempts N]
                                      reduce a failing kv run to a smaller scenario that fails the
                                      same check; prints it as a scenario file and its replay command
)"
#ifdef KVSIM_HAVE_RAFT
R"(  kvsim raft  --seed S [--members 3|5] [--bug NAME]      one Raft-group run (docs/raft.md)
  kvsim raft-sweep --seeds A..B [--members N] [--bug NAME] [--quiet] [--jobs N]
)"
#endif
R"(  kvsim help

options for run and sweep:
  --system kv|pingack  what runs: the sharded KV store (default) or the ping/ack protocol
  --fault-phase-ms MS  length of the fault phase in simulated ms (default 10000)
  --liveness-ms MS     time allowed to converge after healing (default: kv 20000, pingack 10000)
  --no-faults          draw the fault plan but do not apply it
  --bug NAME           switch on an injected bug (kv: a Raft bug, see docs/raft.md;
                       pingack: skip-dedup)
  --quiet              (sweep) print only failures and the summary
  --jobs N             (sweep) run N seeds at once (default 1), in processes apart
                       from this one, so a crash fails only its seed
  --shard k/n          (sweep) run only the k-th of n interleaved slices of the seeds
  --max-failures N     (sweep) start no new seed after N failures
  --trail FILE         (run, kv) write the digest and draw tally after every event
  --print-scenario     (run, kv) print the drawn scenario as a scenario file instead of running it
  --max-events N       stop and fail a run after N events (default: 2000000, or more
                       for a bigger run: kv, 5000 per client and 500 per shard replica,
                       pingack, 5000 per node, for each simulated second of fault phase
                       and liveness window)
kv only:
  --servers N (5) --shards N (8) --replication N (3) --clients N (10)
  --buggify MODE       fault points in the node logic: seeded (default: each site on
                       in a quarter of the seeds), all, or off
pingack only:
  --nodes N            cluster size (default: drawn from the seed, 3..7)
replay (kv only; same options as run, same checks and digest):
  --trace              print every event: messages sent, delivered and dropped (and why),
                       timers, Raft role changes and commits, client calls and replies, faults
  --node X             only events of server X (3 or n3) or client X (c1)
  --shard N            only events of shard N (fault actions are always shown)
  --from T --to T      only events in [from, to] of simulated time: 3s, 1.5s, 250ms, 40us, or ns
  --trace-json FILE    write the run as Chrome trace-event JSON to FILE (ui.perfetto.dev)
  --trace-json-messages N  draw at most N messages as flows (default 20000; past that,
                       1 in k by id, said in the file)
)";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "kvsim: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

const std::set<std::string> kScenarioValueFlags = {
    "system", "nodes", "servers", "shards", "replication", "clients",
    "fault-phase-ms", "liveness-ms", "bug", "max-events", "buggify"};

// What one seed's run reports, whichever system ran.
struct Outcome {
  bool ok = true;
  std::vector<std::string> failures;
  std::string report;
  uint64_t digest = 0;
  uint64_t events = 0;
  env::TimeNs simulated_ns = 0;
};

// The options of run and sweep, parsed once; Run(seed) runs one seed.
class SeedRunner {
 public:
  absl::Status Parse(const Flags& flags) {
    system_ = flags.GetString("system", "kv");
    if (system_ != "kv" && system_ != "pingack") {
      return absl::InvalidArgumentError(absl::StrCat("unknown --system '", system_, "' (kv or pingack)"));
    }
    const bool kv = system_ == "kv";
    for (const char* name : {"servers", "shards", "replication", "clients"}) {
      if (!kv && flags.Has(name)) return absl::InvalidArgumentError(absl::StrCat("--", name, " applies to --system kv only"));
    }
    if (!kv && flags.Has("buggify")) return absl::InvalidArgumentError("--buggify applies to --system kv only");
    if (kv && flags.Has("nodes")) return absl::InvalidArgumentError("--nodes applies to --system pingack; use --servers");
    struct Spec { const char* name; uint64_t fallback, low, high; uint64_t* out; };
    uint64_t nodes, servers, shards, replication, clients, fault_ms, liveness_ms, max_events;
    const Spec specs[] = {
        {"nodes", 0, 2, 64, &nodes},           {"servers", 5, 1, 64, &servers},
        {"shards", 8, 1, 1024, &shards},       {"replication", 3, 1, 9, &replication},
        {"clients", 10, 0, 1000, &clients},    {"fault-phase-ms", 10'000, 1, 3'600'000, &fault_ms},
        {"liveness-ms", kv ? 20'000u : 10'000u, 1, 3'600'000, &liveness_ms},
        {"max-events", 0, 1000, 10'000'000'000ULL, &max_events}};  // 0: DefaultKvMaxEvents.
    for (const Spec& spec : specs) {
      absl::StatusOr<uint64_t> v = flags.GetUint(spec.name, spec.fallback);
      if (!v.ok()) return v.status();
      if (flags.Has(spec.name) && (*v < spec.low || *v > spec.high)) {
        return absl::InvalidArgumentError(absl::StrCat("--", spec.name, " must be ", spec.low, "..", spec.high, ", got ", *v));
      }
      *spec.out = *v;
      if (flags.Has(spec.name)) AddReplay({absl::StrCat("--", spec.name), absl::StrCat(*v)});
    }
    if (kv && replication > servers) {
      return absl::InvalidArgumentError(absl::StrCat("--replication ", replication, " exceeds --servers ", servers));
    }
    const bool faults = !flags.Has("no-faults");
    if (!faults) AddReplay({"--no-faults"});
    const std::string bug = flags.GetString("bug", "");
    if (!bug.empty()) AddReplay({"--bug", bug});
    if (flags.Has("system")) AddReplay({"--system", system_});
    if (kv) {
      kv_.servers = static_cast<int>(servers);
      kv_.shards = static_cast<int>(shards);
      kv_.replication_factor = static_cast<int>(replication);
      kv_.clients = static_cast<int>(clients);
      kv_.fault_phase_ns = static_cast<int64_t>(fault_ms) * env::kMillisecond;
      kv_.liveness_window_ns = static_cast<int64_t>(liveness_ms) * env::kMillisecond;
      kv_.faults = faults;
      kv_.max_events = max_events;
      const std::string buggify = flags.GetString("buggify", "seeded");
      if (buggify == "seeded") {
        kv_.buggify = env::Buggify::Mode::kSeeded;
      } else if (buggify == "all") {
        kv_.buggify = env::Buggify::Mode::kAll;
      } else if (buggify == "off") {
        kv_.buggify = env::Buggify::Mode::kOff;
      } else {
        return absl::InvalidArgumentError(absl::StrCat("unknown --buggify '", buggify, "' (seeded, all or off)"));
      }
      if (flags.Has("buggify")) AddReplay({"--buggify", buggify});
      if (!bug.empty()) {
        absl::StatusOr<raft::RaftBugs> raft_bug = raft::ParseRaftBug(bug);
        absl::StatusOr<node::KvBugs> kv_bug = node::ParseKvBug(bug);
        if (raft_bug.ok()) {
          kv_.raft_bugs = *raft_bug;
        } else if (kv_bug.ok()) {
          kv_.kv_bugs = *kv_bug;
        } else {
          return absl::InvalidArgumentError(absl::StrCat("unknown --bug '", bug, "' for --system kv; ",
                                                         raft_bug.status().message(), "; ", kv_bug.status().message()));
        }
      }
    } else {
      pingack_.node_count = static_cast<int>(nodes);
      pingack_.fault_phase_ns = static_cast<int64_t>(fault_ms) * env::kMillisecond;
      pingack_.liveness_window_ns = static_cast<int64_t>(liveness_ms) * env::kMillisecond;
      pingack_.faults = faults;
      pingack_.max_events = max_events;
      if (bug == "skip-dedup") {
        pingack_.bug_skip_dedup = true;
      } else if (!bug.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown --bug '", bug, "' (pingack knows: skip-dedup)"));
      }
    }
    return absl::OkStatus();
  }

  Outcome Run(uint64_t seed) {
    Outcome out;
    if (system_ == "kv") {
      kv_.seed = seed;
      KvScenarioResult r = RunKvScenario(kv_);
      out = Outcome{r.ok, std::move(r.failures), std::move(r.report), r.digest, r.events, r.simulated_ns};
    } else {
      pingack_.seed = seed;
      ScenarioResult r = RunPingAckScenario(pingack_);
      out = Outcome{r.ok, std::move(r.failures), std::move(r.report), r.digest, r.events, r.simulated_ns};
    }
    return out;
  }

  // Where a kv run records its determinism trail (null: nowhere).
  void set_trail(std::vector<TrailPoint>* trail) { kv_.trail = trail; }
  bool is_kv() const { return system_ == "kv"; }
  const std::string& system() const { return system_; }
  const KvScenarioOptions& kv_options() const { return kv_; }
  // Traces the kv runs to `sink` (kvsim replay).
  void SetTrace(trace::TraceSink* sink, std::string command) {
    kv_.trace_sink = sink;
    kv_.trace_command = std::move(command);
  }

  // The flags a replay needs, besides the seed, as one string (with a
  // leading space).
  const std::string& replay_flags() const { return replay_flags_; }

 private:
  void AddReplay(std::initializer_list<std::string> arguments) {
    for (const std::string& a : arguments) absl::StrAppend(&replay_flags_, " ", a);
  }

  std::string system_;
  KvScenarioOptions kv_;
  ScenarioOptions pingack_;
  std::string replay_flags_;
};

// A scenario file states everything: no flag may add to it.
absl::Status CheckOnlyScenarioFile(const Flags& flags) {
  if (flags.Has("trail")) {
    return absl::InvalidArgumentError("--trail records runs of --seed S only, not of --scenario F");
  }
  if (flags.Has("print-scenario")) {
    return absl::InvalidArgumentError("--print-scenario prints a seed's drawn scenario; --scenario F is one already");
  }
  std::set<std::string> excluded = kScenarioValueFlags;
  excluded.insert({"seed", "no-faults"});
  for (const std::string& name : excluded) {
    if (flags.Has(name)) return absl::InvalidArgumentError(absl::StrCat("--", name, " cannot be combined with --scenario (the file states everything)"));
  }
  return absl::OkStatus();
}

int RunCommand(const std::vector<std::string>& args) {
  std::set<std::string> value_flags = kScenarioValueFlags;
  value_flags.insert({"seed", "trail", "scenario"});
  auto flags = Flags::Parse(args, value_flags, {"no-faults", "print-scenario"});
  if (!flags.ok()) return UsageError(std::string(flags.status().message()));
  if (flags->Has("scenario")) {
    if (absl::Status s = CheckOnlyScenarioFile(*flags); !s.ok()) return UsageError(std::string(s.message()));
    return RunScenarioFileCommand(flags->GetString("scenario", ""));
  }
  if (!flags->Has("seed")) return UsageError("run needs --seed S (or --scenario F)");
  auto seed = flags->GetUint("seed", 0);
  if (!seed.ok()) return UsageError(std::string(seed.status().message()));
  SeedRunner runner;
  if (absl::Status s = runner.Parse(*flags); !s.ok()) return UsageError(std::string(s.message()));
  std::vector<TrailPoint> trail;
  const std::string trail_path = flags->GetString("trail", "");
  if (!trail_path.empty()) {
    if (!runner.is_kv()) return UsageError("--trail applies to --system kv only");
    if (flags->Has("print-scenario")) return UsageError("--trail records a run; --print-scenario runs nothing");
    // Found unwritable now, not after the run, whose report would be lost.
    if (absl::Status s = CheckOutputFile("trail", trail_path); !s.ok()) return UsageError(std::string(s.message()));
    runner.set_trail(&trail);
  }
  if (flags->Has("print-scenario")) {
    if (!runner.is_kv()) return UsageError("--print-scenario applies to --system kv only");
    KvScenarioOptions options = runner.kv_options();
    options.seed = *seed;
    return PrintScenarioCommand(options);
  }
  const Outcome result = runner.Run(*seed);
  if (!trail_path.empty()) {
    if (absl::Status s = WriteTrail(trail_path, trail); !s.ok()) {
      std::fprintf(stderr, "kvsim: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  std::printf("%sresult: %s\ndigest: %016llx\n", result.report.c_str(), result.ok ? "PASS" : "FAIL",
              static_cast<unsigned long long>(result.digest));
  return result.ok ? 0 : 1;
}

// `replay`: the run of `run --seed S` with the same options, traced.
int ReplayCommand(const std::vector<std::string>& args) {
  std::set<std::string> value_flags = kScenarioValueFlags;
  value_flags.insert({"seed", "scenario"});
  value_flags.insert(ReplayTrace::ValueFlags().begin(), ReplayTrace::ValueFlags().end());
  std::set<std::string> bool_flags = ReplayTrace::BoolFlags();
  bool_flags.insert("no-faults");
  auto flags = Flags::Parse(args, value_flags, bool_flags);
  if (!flags.ok()) return UsageError(std::string(flags.status().message()));
  if (flags->Has("scenario")) {
    // A scenario file (e.g. one kvsim shrink wrote), traced.
    if (absl::Status s = CheckOnlyScenarioFile(*flags); !s.ok()) return UsageError(std::string(s.message()));
    const std::string path = flags->GetString("scenario", "");
    absl::StatusOr<KvScenario> scenario = scenario::ReadScenarioFile(path);
    if (!scenario.ok()) {
      std::fprintf(stderr, "kvsim: %s\n", std::string(scenario.status().message()).c_str());
      return 2;
    }
    auto trace = ReplayTrace::Create(*flags, scenario->servers, scenario->clients, scenario->shards);
    if (!trace.ok()) return UsageError(std::string(trace.status().message()));
    scenario->trace_sink = &(*trace)->sink();
    scenario->trace_command = "kvsim run --scenario " + path;
    FlushTraceOnAbort((*trace)->text());
    const KvScenarioResult result = RunKvScenario(*scenario);
    FlushTraceOnAbort(nullptr);
    if (absl::Status s = (*trace)->Finish(result.simulated_ns); !s.ok()) {
      std::fprintf(stderr, "kvsim: %s\n", std::string(s.message()).c_str());
      return 2;
    }
    std::printf("scenario file: %s\n%sresult: %s\ndigest: %016llx\n", path.c_str(), result.report.c_str(),
                result.ok ? "PASS" : "FAIL", static_cast<unsigned long long>(result.digest));
    return result.ok ? 0 : 1;
  }
  if (!flags->Has("seed")) return UsageError("replay needs --seed S (or --scenario F)");
  auto seed = flags->GetUint("seed", 0);
  if (!seed.ok()) return UsageError(std::string(seed.status().message()));
  SeedRunner runner;
  if (absl::Status s = runner.Parse(*flags); !s.ok()) return UsageError(std::string(s.message()));
  if (runner.system() != "kv") return UsageError("replay traces --system kv runs only");
  const KvScenarioOptions& kv = runner.kv_options();
  auto trace = ReplayTrace::Create(*flags, kv.servers, kv.clients, kv.shards);
  if (!trace.ok()) return UsageError(std::string(trace.status().message()));
  runner.SetTrace(&(*trace)->sink(), absl::StrCat("kvsim run --seed ", *seed, runner.replay_flags()));
  // A seed whose run fails a check aborts; its trace must still end there.
  FlushTraceOnAbort((*trace)->text());
  const Outcome result = runner.Run(*seed);
  FlushTraceOnAbort(nullptr);
  if (absl::Status s = (*trace)->Finish(result.simulated_ns); !s.ok()) {
    std::fprintf(stderr, "kvsim: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  std::printf("%sresult: %s\ndigest: %016llx\n", result.report.c_str(), result.ok ? "PASS" : "FAIL",
              static_cast<unsigned long long>(result.digest));
  return result.ok ? 0 : 1;
}

// Parses "k/n" (1 <= k <= n): this process runs the k-th of n interleaved
// slices of the seed range, so a batch system can fan a sweep out.
absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseShard(const std::string& text) {
  const size_t slash = text.find('/');
  uint64_t k = 0, n = 0;
  if (slash == std::string::npos || !absl::SimpleAtoi(text.substr(0, slash), &k) ||
      !absl::SimpleAtoi(text.substr(slash + 1), &n) || k < 1 || k > n || text[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("--shard wants k/n with 1 <= k <= n, got '", text, "'"));
  }
  return std::make_pair(k, n);
}

void PrintFailure(uint64_t seed, const std::string& what, const std::string& replay_flags) {
  std::printf("seed %llu: FAIL %s\n  replay: kvsim run --seed %llu%s\n", static_cast<unsigned long long>(seed),
              what.c_str(), static_cast<unsigned long long>(seed), replay_flags.c_str());
  std::fflush(stdout);
}

int SweepCommand(const std::vector<std::string>& args) {
  std::set<std::string> value_flags = kScenarioValueFlags;
  value_flags.insert({"seeds", "jobs", "shard", "max-failures"});
  auto flags = Flags::Parse(args, value_flags, {"no-faults", "quiet"});
  if (!flags.ok()) return UsageError(std::string(flags.status().message()));
  auto range = flags->GetSeedRange("seeds");
  if (!range.ok()) return UsageError(std::string(range.status().message()));
  auto max_failures = flags->GetUint("max-failures", UINT64_MAX);
  if (!max_failures.ok()) return UsageError(std::string(max_failures.status().message()));
  if (*max_failures == 0) return UsageError("--max-failures must be at least 1");
  auto jobs = flags->GetUint("jobs", 1);
  if (!jobs.ok()) return UsageError(std::string(jobs.status().message()));
  if (*jobs < 1 || *jobs > 256) return UsageError(absl::StrCat("--jobs must be 1..256, got ", *jobs));
  std::pair<uint64_t, uint64_t> shard = {1, 1};
  if (flags->Has("shard")) {
    auto parsed = ParseShard(flags->GetString("shard", ""));
    if (!parsed.ok()) return UsageError(std::string(parsed.status().message()));
    shard = *parsed;
  }
  SeedRunner runner;
  if (absl::Status s = runner.Parse(*flags); !s.ok()) return UsageError(std::string(s.message()));
  const bool quiet = flags->Has("quiet");
  const auto [first, last] = *range;
  absl::StatusOr<std::vector<uint64_t>> sliced = SweepSeeds(first, last, shard.first, shard.second);
  if (!sliced.ok()) return UsageError(std::string(sliced.status().message()));
  const std::vector<uint64_t>& seeds = *sliced;
  uint64_t passed = 0, failed = 0;
  SweepProgress progress(seeds.size());
  FaultCoverage coverage;  // Over the seeds that ran to their report.
  // In forked workers (sim/forked_sweep.h): a seed that aborts at a check
  // fails alone, and each worker keeps its heap warm from seed to seed.
  RunSeedsInForkedWorkers(
      seeds, static_cast<int>(*jobs),
      [&](uint64_t seed) {
        Outcome result = runner.Run(seed);
        WorkerSeedResult r;
        r.passed = result.ok;
        r.digest = result.digest;
        // One line per failing seed: the report (a linearizability
        // violation's spans many) is for `kvsim run`.
        if (!result.ok) r.failure = result.failures[0].substr(0, result.failures[0].find('\n'));
        r.report = std::move(result.report);
        return r;
      },
      [&](const WorkerSeedResult& r) {
        if (!r.report.empty()) coverage.AddRun(r.report);
        if (r.passed) {
          ++passed;
          if (!quiet) std::printf("seed %llu: pass digest %016llx\n", static_cast<unsigned long long>(r.seed),
                                  static_cast<unsigned long long>(r.digest));
        } else {
          ++failed;
          PrintFailure(r.seed, r.failure, runner.replay_flags());
        }
        progress.Update(passed + failed, failed);
        return failed < *max_failures;
      });
  progress.Finish();
  std::printf("sweep %llu..%llu (shard %llu/%llu, %zu seeds)\n%llu passed, %llu failed\n",
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(last),
              static_cast<unsigned long long>(shard.first), static_cast<unsigned long long>(shard.second),
              seeds.size(), static_cast<unsigned long long>(passed), static_cast<unsigned long long>(failed));
  if (passed + failed < seeds.size()) {
    std::printf("stopped after %llu failures (--max-failures): %llu seeds not run\n",
                static_cast<unsigned long long>(failed),
                static_cast<unsigned long long>(seeds.size() - passed - failed));
  }
  std::fputs(coverage.SummaryLines().c_str(), stdout);
  return failed == 0 ? 0 : 1;
}

int ShrinkCommandMain(const std::vector<std::string>& args) {
  std::set<std::string> value_flags = kScenarioValueFlags;
  value_flags.insert({"seed", "scenario", "out", "max-attempts"});
  auto flags = Flags::Parse(args, value_flags, {"no-faults"});
  if (!flags.ok()) return UsageError(std::string(flags.status().message()));
  ShrinkCommandOptions options;
  options.out_path = flags->GetString("out", "");
  if (!options.out_path.empty()) {
    // Found unwritable now, not after every shrink attempt has run.
    if (absl::Status s = CheckOutputFile("out", options.out_path); !s.ok()) return UsageError(std::string(s.message()));
  }
  auto max_attempts = flags->GetUint("max-attempts", 200);
  if (!max_attempts.ok()) return UsageError(std::string(max_attempts.status().message()));
  if (*max_attempts < 1 || *max_attempts > 100'000) {
    return UsageError(absl::StrCat("--max-attempts must be 1..100000, got ", *max_attempts));
  }
  options.max_attempts = static_cast<int>(*max_attempts);
  if (flags->Has("scenario")) {
    if (absl::Status s = CheckOnlyScenarioFile(*flags); !s.ok()) return UsageError(std::string(s.message()));
    absl::StatusOr<KvScenario> scenario = scenario::ReadScenarioFile(flags->GetString("scenario", ""));
    if (!scenario.ok()) {
      std::fprintf(stderr, "kvsim: %s\n", std::string(scenario.status().message()).c_str());
      return 2;
    }
    return ShrinkCommand(*scenario, options);
  }
  if (!flags->Has("seed")) return UsageError("shrink needs --seed S or --scenario F");
  auto seed = flags->GetUint("seed", 0);
  if (!seed.ok()) return UsageError(std::string(seed.status().message()));
  SeedRunner runner;
  if (absl::Status s = runner.Parse(*flags); !s.ok()) return UsageError(std::string(s.message()));
  if (!runner.is_kv()) return UsageError("shrink applies to --system kv only");
  KvScenarioOptions kv_options = runner.kv_options();
  kv_options.seed = *seed;
  return ShrinkCommand(DrawKvScenario(kv_options), options);
}

int Main(int argc, char** argv) {
  if (argc < 2) return UsageError("missing command");
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "run") return RunCommand(args);
  if (command == "sweep") return SweepCommand(args);
  if (command == "determinism") {
    return DeterminismCommand(args, {kScenarioValueFlags.begin(), kScenarioValueFlags.end()}, {"no-faults"},
                              kUsage, [](const Flags& flags) { return SeedRunner().Parse(flags); });
  }
  if (command == "replay") return ReplayCommand(args);
  if (command == "shrink") return ShrinkCommandMain(args);
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
