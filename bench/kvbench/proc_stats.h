#pragma once
// Server process statistics from /proc/<pid> (Linux): CPU time used and
// resident memory, so a kvbench report can say what the servers spent on
// the load. Layer: bench (reads the real machine; never simulated).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kv::bench {

struct ProcSample {
  int pid = 0;
  std::string name;        // /proc/<pid>/comm.
  double cpu_seconds = 0;  // utime + stime of the process (all threads).
  int64_t rss_bytes = 0;   // VmRSS.
  int64_t peak_rss_bytes = 0;  // VmHWM: the highest RSS since the process started.
};

// Reads one process. Errors: kNotFound when it is gone, kDataLoss when
// /proc's format is not understood.
[[nodiscard]] absl::StatusOr<ProcSample> SampleProcess(int pid);

// Pids of running processes whose executable name (argv[0]'s base name) is
// `program` and, when `required_arg` is not empty, that have an argument
// equal to it. Ascending.
std::vector<int> FindProcesses(const std::string& program, const std::string& required_arg);

// Parses the utime + stime fields of a /proc/<pid>/stat line into seconds,
// given the clock ticks per second. Exposed for tests. Errors: kDataLoss.
[[nodiscard]] absl::StatusOr<double> ParseStatCpuSeconds(const std::string& stat, long ticks_per_second);

}  // namespace kv::bench
