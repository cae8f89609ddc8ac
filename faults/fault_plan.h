#pragma once
// FaultPlan: what goes wrong in one simulated run, and when. Layer: faults.
//
// A plan is drawn from the run's fault stream (swarm testing: every seed picks
// its own mix of fault classes and their intensities; "no faults at all" is a
// possible draw) and printed in full at the start of a run, so that a reader
// of any failing run knows exactly what was done to the cluster.

#include <cstdint>
#include <string>
#include <vector>

#include "node/env/random.h"
#include "node/env/types.h"
#include "sim/sim_network.h"

namespace kv::faults {

enum class FaultKind : uint8_t {
  kPartitionHalves,  // Symmetric: a random minority | the rest.
  kPartitionOneWay,  // One direction between two random groups.
  kIsolate,          // One node hears and reaches nobody.
  kSplitGroups,      // Three groups.
  kBridge,           // Two halves that each reach one middle node.
  kHeal,             // All partitions removed.
  kCrash,            // Process dies; its volatile state is lost.
  kRestart,          // A crashed node comes back.
  kPause,            // Process frozen for a while (timers fire late).
  kClockDrift,       // A node's clock drift changes.
  kMemoryPressure,   // A node's memory budget shrinks...
  kMemoryRelief,     // ...and comes back.
  kMajoritiesRing,   // Each node reaches only its ring neighbours: every node
                     // sees a majority, no two the same (group_a: ring order).
  kIsolateLeader,    // The node leading the most groups at that moment is
                     // cut off from the other members of group_b (all the
                     // cluster's nodes), though not from clients; `node`
                     // if nobody leads.
};
inline constexpr int kFaultKindCount = 14;

const char* FaultKindName(FaultKind kind);
// Whether `kind` blocks links (the partition shapes; not kHeal).
bool IsPartitionKind(FaultKind kind);

// One timed fault. Which fields matter depends on the kind.
struct FaultEvent {
  env::TimeNs at_ns = 0;
  FaultKind kind = FaultKind::kHeal;
  std::vector<env::NodeId> group_a;  // Partition sides; `node` for others.
  std::vector<env::NodeId> group_b;
  std::vector<env::NodeId> group_c;
  env::NodeId node = 0;
  env::DurationNs duration_ns = 0;  // Pauses.
  int64_t value = 0;                // Drift in ppb; memory limit in bytes.
};

// Which fault classes this seed turned on (swarm testing).
struct FaultClasses {
  bool loss = false, duplication = false, reordering = false, delay_tail = false;
  bool partitions = false, crashes = false, pauses = false, clock_drift = false;
  bool memory_pressure = false;
};

// "partition-halves {0,1} | {2,3,4}", "pause node 2 for 300ms": one event as
// the plan and the trace print it.
std::string DescribeFaultEvent(const FaultEvent& event);

struct FaultPlan {
  FaultClasses classes;
  sim::LinkProfile link;
  std::vector<env::TimeNs> clock_offset_ns;  // Per node, at start.
  std::vector<int64_t> clock_drift_ppb;      // Per node, at start.
  std::vector<FaultEvent> events;            // Sorted by time.

  // Multi-line, human-readable rendering, printed at the start of a run.
  std::string ToString() const;
};

// The fault classes that `plan` exercises, judged from its link rates,
// clocks and events (for plans that were not drawn, e.g. read from a file).
// For a drawn plan this equals the classes it was drawn with.
FaultClasses DeriveFaultClasses(const FaultPlan& plan);

// Which partition shapes a plan may draw.
enum class PartitionShapes {
  kAll,
  // Without majorities-ring and isolate-leader: for harnesses that aim their
  // own nemesis at leaders (the Raft sweeps), whose seeds were tuned on it.
  kClassic,
};

// Draws a plan for `node_count` nodes (at least 1; a single node gets no
// partitions) whose faults all fall within [0, fault_phase_ns).
// `memory_limit_bytes` is the nodes' normal budget.
FaultPlan DrawFaultPlan(env::Random& random, int node_count, env::DurationNs fault_phase_ns,
                        int64_t memory_limit_bytes, PartitionShapes shapes = PartitionShapes::kAll);

}  // namespace kv::faults
