#pragma once
// RunPingAckScenario: one complete simulated run, drawn from a seed.
// Layer: sim (harness).
//
// The seed determines everything: the cluster size (unless fixed), the
// protocol's pacing, the fault plan (swarm-drawn), and every latency, drop
// and timer. A run has two phases:
// 1. fault phase: nodes issue requests while the fault plan is carried out;
//    safety properties are checked after every event;
// 2. liveness phase: all faults heal (partitions removed, crashed nodes
//    restarted, memory restored), nodes stop issuing, and every outstanding
//    request must be acknowledged within the liveness window.
// The result carries a printable report and the run digest.

#include <cstdint>
#include <string>
#include <vector>

#include "node/env/types.h"

namespace kv::sim {

struct ScenarioOptions {
  uint64_t seed = 1;
  int node_count = 0;  // 0: drawn from the seed, 3..7.
  env::DurationNs fault_phase_ns = 10 * env::kSecond;
  env::DurationNs liveness_window_ns = 10 * env::kSecond;
  bool faults = true;            // false: the plan is drawn but not applied.
  bool bug_skip_dedup = false;   // Teeth: see PingAckConfig::bug_skip_dedup.
  // Stop and fail the run after this many events; 0: 2,000,000 or 5,000 per
  // node per simulated second of both phases, whichever is more (a node's
  // traffic takes about 1,250, at 7 nodes as at 64).
  uint64_t max_events = 0;
};

struct ScenarioResult {
  uint64_t digest = 0;
  bool ok = true;
  std::vector<std::string> failures;  // Check failures, in the order found.
  std::string report;                 // Scenario, counts, checks.
  uint64_t events = 0;
  env::TimeNs simulated_ns = 0;
};

ScenarioResult RunPingAckScenario(const ScenarioOptions& options);

}  // namespace kv::sim
