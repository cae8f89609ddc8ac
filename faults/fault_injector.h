#pragma once
// FaultInjector: carries out a FaultPlan against a running simulated cluster.
// Layer: faults (uses sim's control surface).
//
// Every fault kind counts how often it actually fired: crashing a node that
// is already down, or a partition that blocks no link, does not count. A run
// reports these counts, because a fault that never fires is a false green.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "faults/fault_plan.h"
#include "sim/scheduler.h"
#include "sim/sim_network.h"

namespace kv::faults {

// What the injector may do to a cluster. Each call returns whether it had an
// effect (false: e.g. the node was already down).
class ClusterControl {
 public:
  virtual ~ClusterControl() = default;
  virtual sim::SimNetwork& network() = 0;
  virtual bool Crash(env::NodeId node) = 0;
  virtual bool Restart(env::NodeId node) = 0;
  virtual bool Pause(env::NodeId node, env::DurationNs duration_ns) = 0;
  virtual bool SetClockDrift(env::NodeId node, int64_t drift_ppb) = 0;
  virtual bool SetMemoryLimit(env::NodeId node, int64_t limit_bytes) = 0;
  // The node an isolate-leader fault cuts off: the live node that leads the
  // most Raft groups right now (the lowest id on a tie), or nullopt if no
  // node leads anything (or the system has no leaders).
  virtual std::optional<env::NodeId> BusiestLeader() const { return std::nullopt; }
};

class FaultInjector {
 public:
  // `scheduler`, `control` and `plan` must outlive the injector.
  FaultInjector(sim::Scheduler& scheduler, ClusterControl& control, const FaultPlan& plan);

  // Schedules every event of the plan.
  void Arm();

  // Ends the fault phase: heals the network, restarts crashed nodes and
  // restores memory limits to `memory_limit_bytes`. Later plan events are
  // cancelled.
  void HealEverything(int64_t memory_limit_bytes);

  // How often each kind fired.
  uint64_t fired(FaultKind kind) const { return fired_[static_cast<int>(kind)]; }
  // "crash=2 restart=2 ..." over the kinds that the plan contains.
  std::string FiredToString() const;
  // Kinds that the plan scheduled but that never fired (false-green risks).
  std::string NeverFiredToString() const;

 private:
  void Apply(const FaultEvent& event);

  sim::Scheduler& scheduler_;
  ClusterControl& control_;
  const FaultPlan& plan_;
  bool healed_ = false;
  std::array<uint64_t, kFaultKindCount> fired_{};
  std::array<uint64_t, kFaultKindCount> planned_{};
};

}  // namespace kv::faults
