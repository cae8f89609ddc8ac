// Scans every folder whose code the simulator drives for calls that would
// break determinism (STYLE.md section 5): wall clocks, unseeded or
// library-defined randomness, threads and thread-locals. Comments are
// stripped before matching, so code may still explain what it avoids.
//
// Code that never runs under the simulator (the real epoll/io_uring backends,
// TCP transport, the RocksDB storage, binaries' process drivers) is kept in
// files whose names say so, and only those are skipped; see IsRealOnly.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "properties/testing/regex.h"

namespace {

namespace fs = std::filesystem;

const char* const kScannedFolders[] = {"raft", "storage", "node", "sim", "faults", "properties"};

bool IsRealOnly(const std::string& relative) {
  static const std::regex real_only(
      R"((^|/)[^/]*(rocks|epoll|uring|tcp|posix|backend|kvnode|kvctl)[^/]*$|^node/backend/)");
  return std::regex_search(relative, real_only);
}

std::string StripComments(const std::string& line) {
  const size_t pos = line.find("//");
  return pos == std::string::npos ? line : line.substr(0, pos);
}

TEST(DeterminismLintTest, SimulatedCodeUsesNoBannedCalls) {
  const std::regex banned(
      R"(system_clock|steady_clock|high_resolution_clock|random_device|std::thread\b|)"
      R"(std::jthread|std::async|\brand\(|\bsrand\(|\btime\((NULL|nullptr|0)\)|gettimeofday|)"
      R"(clock_gettime|absl::Now\(|absl::BitGen|absl::InsecureBitGen|_distribution<|)"
      R"(\bthread_local\b|getenv\()");
  const fs::path root(KV_SOURCE_DIR);
  std::vector<std::string> hits;
  int files_scanned = 0;
  for (const char* folder : kScannedFolders) {
    if (!fs::exists(root / folder)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / folder)) {
      if (!entry.is_regular_file()) continue;
      const std::string ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cc") continue;
      const std::string relative = fs::relative(entry.path(), root).string();
      if (IsRealOnly(relative)) continue;
      if (entry.path().filename() == "determinism_lint_test.cc") continue;  // The rule itself.
      ++files_scanned;
      std::ifstream in(entry.path());
      std::string line;
      int number = 0;
      while (std::getline(in, line)) {
        ++number;
        if (std::regex_search(StripComments(line), banned)) {
          hits.push_back(relative + ":" + std::to_string(number) + ": " + line);
        }
      }
    }
  }
  EXPECT_GT(files_scanned, 10);
  std::ostringstream report;
  for (const std::string& hit : hits) report << hit << "\n";
  EXPECT_TRUE(hits.empty()) << "determinism hazards in simulated code:\n" << report.str();
}

TEST(DeterminismLintTest, RealOnlyPatternSkipsOnlyRealBackends) {
  EXPECT_TRUE(IsRealOnly("storage/rocks_log_storage.cc"));
  EXPECT_TRUE(IsRealOnly("node/backend/epoll_loop.cc"));
  EXPECT_FALSE(IsRealOnly("sim/scheduler.cc"));
  EXPECT_FALSE(IsRealOnly("raft/raft.cc"));
  EXPECT_FALSE(IsRealOnly("storage/sim_disk.cc"));
}

}  // namespace
