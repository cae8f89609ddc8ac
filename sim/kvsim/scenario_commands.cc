#include "sim/kvsim/scenario_commands.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "sim/kvsim/forked_run.h"
#include "sim/scenario/scenario_file.h"
#include "sim/scenario/shrinker.h"

namespace kv::sim {

int RunScenarioFileCommand(const std::string& path) {
  absl::StatusOr<KvScenario> scenario = scenario::ReadScenarioFile(path);
  if (!scenario.ok()) {
    std::fprintf(stderr, "kvsim: %s\n", std::string(scenario.status().message()).c_str());
    return 2;
  }
  const KvScenarioResult result = RunKvScenario(*scenario);
  std::printf("scenario file: %s\n%sresult: %s\ndigest: %016llx\n", path.c_str(), result.report.c_str(),
              result.ok ? "PASS" : "FAIL", static_cast<unsigned long long>(result.digest));
  return result.ok ? 0 : 1;
}

int PrintScenarioCommand(const KvScenarioOptions& options) {
  const KvScenario scenario = DrawKvScenario(options);
  if (absl::Status valid = scenario::ValidateScenario(scenario); !valid.ok()) {
    // The command-line bounds are the file's bounds, so this is a bug.
    std::fprintf(stderr, "kvsim: the drawn scenario cannot be written: %s\n", std::string(valid.message()).c_str());
    return 2;
  }
  std::printf("%s", scenario::FormatScenario(scenario).c_str());
  return 0;
}

int ShrinkCommand(const KvScenario& original, const ShrinkCommandOptions& options) {
  if (absl::Status valid = scenario::ValidateScenario(original); !valid.ok()) {
    std::fprintf(stderr, "kvsim: cannot shrink this scenario: %s\n", std::string(valid.message()).c_str());
    return 2;
  }
  scenario::ShrinkOptions shrink_options;
  shrink_options.max_attempts = options.max_attempts;
  shrink_options.progress = [](const std::string& line) {
    std::fprintf(stderr, "shrink: %s\n", line.c_str());
    std::fflush(stderr);
  };
  const scenario::ShrinkResult result = scenario::Shrink(original, RunCandidateInChild, shrink_options);
  if (!result.original_failed) {
    std::fprintf(stderr, "shrink: the scenario passes (digest %016llx); nothing to shrink\n",
                 static_cast<unsigned long long>(result.original.digest));
    return 0;
  }
  const std::string text = scenario::FormatScenario(result.scenario);
  const std::string replay_path = options.out_path.empty() ? "FILE" : options.out_path;
  std::fprintf(stderr, "shrink: %d attempts, %d kept; fails: %s\n  from: %s\n  to:   %s\n  first failure: %s\n",
               result.attempts, result.accepted, result.category.c_str(),
               scenario::SizeToString(scenario::SizeOf(original)).c_str(),
               scenario::SizeToString(scenario::SizeOf(result.scenario)).c_str(), result.outcome.first_failure.c_str());
  std::printf("%s# shrunk by kvsim shrink (%d attempts); fails: %s\n# replay: kvsim run --scenario %s\n", text.c_str(),
              result.attempts, result.category.c_str(), replay_path.c_str());
  if (!options.out_path.empty()) {
    if (absl::Status s = scenario::WriteScenarioFile(options.out_path, result.scenario); !s.ok()) {
      std::fprintf(stderr, "kvsim: %s\n", std::string(s.message()).c_str());
      return 2;
    }
    std::fprintf(stderr, "shrink: wrote %s\n", options.out_path.c_str());
  }
  std::fprintf(stderr, "replay: kvsim run --scenario %s\n", replay_path.c_str());
  return 1;
}

}  // namespace kv::sim
