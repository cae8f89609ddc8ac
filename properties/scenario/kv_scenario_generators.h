#pragma once
// rapidcheck generators of KV simulation scenarios (sim::KvScenario): a small
// cluster shape, a workload, link/disk/clock fault settings and a list of
// timed fault events. Every generated scenario is valid
// (scenario::ValidateScenario). Layer: properties (test support).
//
// rapidcheck shrinks what these generate towards fewer and simpler parts:
// fewer servers, shards and clients, fewer fault events, fault rates at
// zero, and smaller seeds.

#include <ostream>

#include "rapidcheck.h"
#include "sim/cluster/kv_scenario.h"

namespace kv::properties {

// Bounds of the generated scenarios.
struct ScenarioBounds {
  int servers_max = 5;
  int shards_max = 4;
  int clients_max = 5;
  int fault_events_max = 12;
  int64_t fault_phase_ms_min = 2000;
  int64_t fault_phase_ms_max = 4000;
  // Injected KV bugs (node::KvBugs bits) set on every scenario: for
  // properties that must find a failure (teeth).
  uint32_t kv_bugs = 0;
  // Disk faults (I/O errors, disk full, sync failures, corruption, latency)
  // drawn or all off. Off in CI until the stale read after a disk-full
  // fail-stop (sim/scenario/found/disk-full-stale-read.scenario) is fixed.
  bool disk_faults = true;
};

rc::Gen<sim::KvScenario> GenKvScenario(const ScenarioBounds& bounds = {});

// One fault event for a cluster of `servers` (>= 1) within a fault phase of
// `fault_phase_ns`. Partitions need two servers and are not drawn for one.
rc::Gen<faults::FaultEvent> GenFaultEvent(int servers, env::DurationNs fault_phase_ns, int64_t memory_limit_bytes);

}  // namespace kv::properties

namespace kv::sim {
// rapidcheck prints a counterexample with this: as a scenario file that
// `kvsim run --scenario F` replays.
void showValue(const KvScenario& scenario, std::ostream& os);
}  // namespace kv::sim
