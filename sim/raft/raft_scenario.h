#pragma once
// RunRaftScenario: one simulated run of a Raft group, drawn from a seed.
// Layer: sim (harness).
//
// The seed determines the fault plan (swarm-drawn by faults/: loss,
// duplication, reordering, latency tails, every partition kind, crashes and
// restarts, pauses, clock drift), the workload pacing, the read mode
// (ReadIndex or lease), disk latency and compaction threshold. Two phases:
// 1. fault phase: clients propose, read and occasionally transfer leadership
//    while faults happen; properties/raft's invariants and every member's
//    CheckInvariants() run after every event, and the first violation stops
//    the run;
// 2. liveness phase: everything heals; a proposal must then commit and be
//    applied by every member within the liveness window.

#include <cstdint>
#include <string>
#include <vector>

#include "node/env/types.h"
#include "sim/raft/raft_cluster.h"

namespace kv::sim {

struct RaftScenarioOptions {
  uint64_t seed = 1;
  int members = 3;
  // Bitmask of raft::RaftBugs.
  uint32_t bugs = 0;
  env::DurationNs fault_phase_ns = 3 * env::kSecond;
  env::DurationNs liveness_window_ns = 5 * env::kSecond;
};

struct RaftScenarioResult {
  bool ok = true;
  uint64_t digest = 0;
  // The first failure (safety or liveness), empty when ok.
  std::string failure;
  std::string report;
  uint64_t events = 0;
  env::TimeNs simulated_ns = 0;
  // Coverage probes: how often the rare paths were exercised.
  RaftClusterStats stats;
  uint64_t reads_checked = 0;
  uint64_t leaders = 0;
  // Figure 8 nemesis cycles that reached their last crash.
  uint64_t figure8_cycles = 0;
};

RaftScenarioResult RunRaftScenario(const RaftScenarioOptions& options);

// The one-line command that replays a run.
std::string RaftReplayCommand(const RaftScenarioOptions& options);

}  // namespace kv::sim
