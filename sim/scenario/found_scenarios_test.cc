// Regression: every scenario in sim/scenario/found/ once exposed a real bug
// (each file's header says which); each must now pass every check.

#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/cluster/kv_scenario.h"
#include "sim/scenario/scenario_file.h"

namespace kv::sim {
namespace {

std::vector<std::string> FoundScenarioFiles() {
  std::vector<std::string> files;
  if (DIR* dir = opendir(KV_FOUND_SCENARIOS_DIR)) {
    while (dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name.size() > 9 && name.substr(name.size() - 9) == ".scenario") {
        files.push_back(std::string(KV_FOUND_SCENARIOS_DIR) + "/" + name);
      }
    }
    closedir(dir);
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FoundScenariosTest, EveryScenarioThatOnceFoundABugNowPasses) {
  const std::vector<std::string> files = FoundScenarioFiles();
  ASSERT_GE(files.size(), 2u) << "no scenarios in " << KV_FOUND_SCENARIOS_DIR;
  for (const std::string& file : files) {
    absl::StatusOr<KvScenario> scenario = scenario::ReadScenarioFile(file);
    ASSERT_TRUE(scenario.ok()) << file << ": " << scenario.status();
    const KvScenarioResult result = RunKvScenario(*scenario);
    EXPECT_TRUE(result.ok) << file << "\n" << result.report;
  }
}

}  // namespace
}  // namespace kv::sim
