#pragma once
// kvbench's report: a readable table and JSON of one run. Layer: bench.

#include <string>
#include <vector>

#include "bench/kvbench/kvbench_options.h"
#include "bench/kvbench/load_driver.h"
#include "bench/kvbench/proc_stats.h"

namespace kv::bench {

// One server process over the run: before any load (idle), at the start
// and end of the measured window.
struct ServerReport {
  int pid = 0;
  std::string name;
  ProcSample idle;
  ProcSample window_start;
  ProcSample window_end;
  bool ok = false;  // All three samples were read.
};

struct Report {
  std::string target;
  std::string date_utc;
  const KvbenchOptions* options = nullptr;
  RunResult result;
  std::vector<ServerReport> servers;
};

std::string FormatTable(const Report& report);
std::string FormatJson(const Report& report);

}  // namespace kv::bench
