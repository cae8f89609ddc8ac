#pragma once
// RunKvScenario: one complete simulated run of the sharded KV store, drawn
// from a seed. Layer: sim (harness).
//
// Phases: (1) clients run their workload while the seed's fault plan is
// carried out (network faults, partitions, crashes with the disk crash
// model, pauses, clock drift, memory pressure, disk faults); (2) everything
// heals, clients finish their last operation, and the cluster must converge
// within the liveness window. Checks: no stale or phantom read; every
// acknowledged write survives (final state); all replicas of every shard
// hold identical state; liveness.

#include <cstdint>
#include <string>
#include <vector>

#include "node/env/buggify.h"
#include "node/env/types.h"
#include "sim/determinism_trail.h"
#include "sim/trace/trace_sink.h"

namespace kv::sim {

struct KvScenarioOptions {
  uint64_t seed = 1;
  int servers = 5;
  int shards = 8;
  int replication_factor = 3;
  int clients = 10;
  env::DurationNs fault_phase_ns = 10 * env::kSecond;
  env::DurationNs liveness_window_ns = 20 * env::kSecond;
  bool faults = true;
  // A run that processes more events than this stops and fails (a livelock
  // or an event storm); a normal 10 s run takes a few hundred thousand.
  uint64_t max_events = 2'000'000;
  uint32_t raft_bugs = 0;  // Teeth: raft::RaftBugs bits.
  uint32_t kv_bugs = 0;    // Teeth: node::KvBugs bits.
  // Which buggify fault points (node/env/buggify.h) are on; they fire only
  // in the fault phase, and only when faults are on.
  env::Buggify::Mode buggify = env::Buggify::Mode::kSeeded;
  // If set, receives the determinism trail (one point per event).
  std::vector<TrailPoint>* trail = nullptr;
  // A traced run (kvsim replay): every event goes to this sink (not owned;
  // Begin is called here, Finish by the owner). Tracing never changes the
  // run: the digest is the same with or without it.
  trace::TraceSink* trace_sink = nullptr;
  std::string trace_command;  // How to reproduce the run, for the trace's header.
};

struct KvScenarioResult {
  // Folds the event digest and the random-draw digest.
  uint64_t digest = 0;
  uint64_t draws = 0;  // Random draws made by the whole run.
  bool ok = true;
  std::vector<std::string> failures;
  std::string report;
  uint64_t events = 0;
  env::TimeNs simulated_ns = 0;
};

KvScenarioResult RunKvScenario(const KvScenarioOptions& options);

}  // namespace kv::sim
