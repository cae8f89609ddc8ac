#pragma once
// RunKvScenario: one complete simulated run of the sharded KV store.
// Layer: sim (harness).
//
// A run is described by a KvScenario: everything it depends on (seed, cluster
// shape, workload, phases, the explicit fault plan, disk faults, event
// budget, injected bugs). DrawKvScenario draws one from a seed and the
// command-line knobs (KvScenarioOptions); sim/scenario/ reads and writes it
// as a text file, and the shrinker and the property tests build their own.
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

#include "faults/fault_plan.h"
#include "node/env/buggify.h"
#include "node/env/types.h"
#include "sim/cluster/kv_workload.h"
#include "sim/determinism_trail.h"
#include "sim/trace/trace_sink.h"
#include "storage/sim_disk.h"

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
  // 0 means DefaultKvMaxEvents(*this), which grows with the run's size.
  uint64_t max_events = 0;
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

// Everything one run depends on. The seed still feeds the random streams
// the run draws from as it goes (each node's, link's and disk's), but the
// shape, workload parameters and fault plan are explicit.
struct KvScenario {
  uint64_t seed = 1;
  int servers = 5;
  int shards = 8;
  int replication_factor = 3;
  // Raft log entries applied between snapshots (compaction).
  uint64_t compact_threshold_entries = 1000;
  int64_t memory_limit_bytes = 64 << 20;  // Each server's normal budget.
  int clients = 10;
  KvWorkloadOptions workload;
  env::DurationNs fault_phase_ns = 10 * env::kSecond;
  env::DurationNs liveness_window_ns = 20 * env::kSecond;
  // Network link profile, clocks and timed fault events; events lie within
  // [0, fault_phase_ns) and are sorted by time.
  faults::FaultPlan plan;
  // Disk faults during the fault phase (torn writes stay on afterwards:
  // they are the crash model, not a fault).
  storage::SimDiskFaults disk_faults;
  uint64_t max_events = 2'000'000;
  uint32_t raft_bugs = 0;  // Teeth: raft::RaftBugs bits.
  uint32_t kv_bugs = 0;    // Teeth: node::KvBugs bits.
  // Buggify fault points in the node logic: which are on is drawn from the
  // seed in kSeeded mode; none fire after the fault phase.
  env::Buggify::Mode buggify = env::Buggify::Mode::kSeeded;
  // If set, receives the determinism trail (one point per event). Not part
  // of a scenario file: where a run reports to, not what it does.
  std::vector<TrailPoint>* trail = nullptr;
  // Where a traced run sends its events, and its header's replay command
  // (KvScenarioOptions::trace_sink); not part of a scenario file either.
  trace::TraceSink* trace_sink = nullptr;
  std::string trace_command;
};

// Draws the scenario that `kvsim run --seed S` runs: shape and phases from
// `options`, workload parameters and the fault plan from the seed. With
// `options.faults` false the plan is empty (default links without the
// delay tail, no disk faults beyond torn writes at a crash, buggify off).
// The event budget a run gets when KvScenarioOptions::max_events is 0: at
// least 2,000,000, and more for bigger runs, 5,000 events per client and
// 500 per shard replica for every simulated second of the fault phase and
// liveness window. Those are several times the busiest runs measured (about
// 2,000 events per client-second with 1 ms think times), so a budget failure
// means a livelock or an event storm, not a big scenario.
uint64_t DefaultKvMaxEvents(const KvScenarioOptions& options);

KvScenario DrawKvScenario(const KvScenarioOptions& options);

struct KvScenarioResult {
  // Folds the event digest and the random-draw digest.
  uint64_t digest = 0;
  uint64_t draws = 0;  // Random draws made by the whole run.
  bool ok = true;
  std::vector<std::string> failures;
  std::string report;
  uint64_t events = 0;
  env::TimeNs simulated_ns = 0;
  // The most operations any one client issued (the shrinker starts its
  // ops_per_client bound there).
  uint64_t max_client_ops = 0;
  uint64_t client_ops = 0;  // Operations all clients issued.
  // How often each disk fault fired, over every server's disk.
  storage::SimDiskCounters disk_fired;
};

// Runs `scenario`, which must be valid (sim/scenario/scenario_file.h
// validates; an invalid one may fail a check and abort).
KvScenarioResult RunKvScenario(const KvScenario& scenario);
// RunKvScenario(DrawKvScenario(options)).
KvScenarioResult RunKvScenario(const KvScenarioOptions& options);

// The stable name of the check that a failure line (an entry of
// KvScenarioResult::failures) comes from: "linearizable-read",
// "linearizability", "durability", "convergence", "liveness",
// "event-budget", "start", or "other". Shrinking keeps this fixed.
std::string KvFailureCategory(const std::string& failure);

}  // namespace kv::sim
