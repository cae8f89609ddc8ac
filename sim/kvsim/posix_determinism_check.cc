#include "sim/kvsim/posix_determinism_check.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/backend/host.h"
#include "sim/determinism_trail.h"
#include "sim/kvsim/flags.h"
#include "sim/sweep_seeds.h"

extern char** environ;

namespace kv::sim {
namespace {

// Spawns `argv` with stdout and stderr to /dev/null; returns its pid or -1.
pid_t Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> raw;
  for (const std::string& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Waits for `pid`; "exit N" or "killed by signal N".
std::string WaitFor(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return absl::StrCat("exit ", WEXITSTATUS(status));
  return absl::StrCat("killed by signal ", WTERMSIG(status));
}

std::string Seconds(env::TimeNs t) { return absl::StrFormat("%.6fs", static_cast<double>(t) / 1e9); }

}  // namespace

int DeterminismCommand(const std::vector<std::string>& args,
                       const std::vector<std::string>& scenario_value_flags,
                       const std::vector<std::string>& scenario_bool_flags, const char* usage,
                       absl::FunctionRef<absl::Status(const Flags&)> check_run_flags) {
  auto usage_error = [usage](const std::string& message) {
    std::fprintf(stderr, "kvsim: %s\n\n%s", message.c_str(), usage);
    return 2;
  };
  std::set<std::string> value_flags(scenario_value_flags.begin(), scenario_value_flags.end());
  value_flags.insert({"seeds", "sample"});
  const std::set<std::string> bool_flags(scenario_bool_flags.begin(), scenario_bool_flags.end());
  absl::StatusOr<Flags> flags = Flags::Parse(args, value_flags, bool_flags);
  if (!flags.ok()) return usage_error(std::string(flags.status().message()));
  if (!flags->Has("seeds")) return usage_error("determinism needs --seeds A..B");
  auto range = flags->GetSeedRange("seeds");
  if (!range.ok()) return usage_error(std::string(range.status().message()));
  auto sample = flags->GetUint("sample", 0);
  if (!sample.ok()) return usage_error(std::string(sample.status().message()));
  if (flags->Has("system") && flags->GetString("system", "kv") != "kv") {
    return usage_error("determinism checks --system kv runs");
  }
  if (absl::Status s = check_run_flags(*flags); !s.ok()) return usage_error(std::string(s.message()));
  // Everything but --seeds and --sample is passed on to each run as given.
  std::vector<std::string> forwarded;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool ours = a == "--seeds" || a == "--sample" || a.rfind("--seeds=", 0) == 0 ||
                      a.rfind("--sample=", 0) == 0;
    if (ours) {
      if (a.find('=') == std::string::npos) ++i;  // Skip its value too.
      continue;
    }
    forwarded.push_back(a);
  }
  absl::StatusOr<std::vector<uint64_t>> chosen = SampleSeeds(range->first, range->second, *sample);
  if (!chosen.ok()) return usage_error(std::string(chosen.status().message()));
  const std::vector<uint64_t>& seeds = *chosen;
  std::string dir_pattern = backend::HostTempDirectory() + "/kvsim-determinism-XXXXXX";
  if (mkdtemp(dir_pattern.data()) == nullptr) {
    std::fprintf(stderr, "kvsim: cannot create a temporary directory from %s\n", dir_pattern.c_str());
    return 2;
  }
  const std::string dir = dir_pattern;
  std::string replay_flags;
  for (const std::string& a : forwarded) absl::StrAppend(&replay_flags, " ", a);
  int diverged = 0;
  for (uint64_t seed : seeds) {
    std::vector<std::string> paths = {dir + "/a.trail", dir + "/b.trail"};
    pid_t pids[2];
    for (int k = 0; k < 2; ++k) {
      std::vector<std::string> argv = {"/proc/self/exe", "run", "--seed", absl::StrCat(seed), "--trail", paths[k]};
      argv.insert(argv.end(), forwarded.begin(), forwarded.end());
      pids[k] = Spawn(argv);
    }
    std::string status[2];
    for (int k = 0; k < 2; ++k) status[k] = pids[k] < 0 ? "could not start" : WaitFor(pids[k]);
    absl::StatusOr<std::vector<TrailPoint>> trails[2] = {ReadTrail(paths[0]), ReadTrail(paths[1])};
    for (const std::string& p : paths) unlink(p.c_str());
    std::string verdict;
    if (!trails[0].ok() || !trails[1].ok()) {
      verdict = absl::StrCat("no trail (runs: ", status[0], ", ", status[1], "; ",
                             (trails[0].ok() ? trails[1] : trails[0]).status().message(), ")");
    } else if (std::optional<Divergence> d = FindFirstDivergence(*trails[0], *trails[1])) {
      // Point the reader at the moment the runs parted.
      verdict = absl::StrCat(d->description, "\n  inspect: kvsim replay --seed ", seed, replay_flags,
                             " --trace --from ", std::max<env::TimeNs>(0, d->time_ns - env::kMillisecond),
                             " --to ", d->time_ns);
    } else if (status[0] != status[1]) {
      verdict = absl::StrCat("identical trails but different exits (", status[0], " vs ", status[1], ")");
    } else {
      const TrailPoint last = trails[0]->empty() ? TrailPoint{} : trails[0]->back();
      std::printf("seed %llu: identical (%llu events, %llu random draws, %s simulated, run %s)\n",
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(last.event),
                  static_cast<unsigned long long>(last.draws), Seconds(last.time_ns).c_str(), status[0].c_str());
      std::fflush(stdout);
      continue;
    }
    ++diverged;
    std::printf("seed %llu: NOT DETERMINISTIC: %s\n", static_cast<unsigned long long>(seed), verdict.c_str());
    std::fflush(stdout);
  }
  rmdir(dir.c_str());
  std::printf("determinism: %zu seeds run twice, %d diverged\n", seeds.size(), diverged);
  return diverged == 0 ? 0 : 1;
}

}  // namespace kv::sim
