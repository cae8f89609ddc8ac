#pragma once
// PingAckCluster: N simulated nodes running the ping/ack protocol, with the
// control surface the fault injector drives. Layer: sim (harness).
//
// Owns every per-node object the simulator provides (context, clock,
// executor, memory budget, random stream) and the node logic built on them.
// A crash destroys the logic object (its volatile state is gone) and drops
// its pending events; a restart builds a fresh one on the same env.

#include <memory>
#include <vector>

#include "faults/fault_injector.h"
#include "node/pingack/pingack_node.h"
#include "properties/pingack_checker.h"
#include "sim/scheduler.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"

namespace kv::sim {

struct PingAckClusterOptions {
  int node_count = 3;
  int64_t memory_limit_bytes = 1 << 20;
  pingack::PingAckConfig protocol;
  LinkProfile link;
  std::vector<env::TimeNs> clock_offset_ns;  // Per node; empty means zero.
  std::vector<int64_t> clock_drift_ppb;      // Per node; empty means zero.
};

class PingAckCluster final : public faults::ClusterControl {
 public:
  // Streams for nodes and links are derived from `root`.
  PingAckCluster(Scheduler& scheduler, const env::Random& root,
                 const PingAckClusterOptions& options, properties::PingAckChecker& checker);
  ~PingAckCluster() override;

  // Starts every node's protocol.
  void Start();
  // Every live node stops issuing new requests.
  void StopIssuing();
  // Unacknowledged requests over the live nodes.
  size_t outstanding_count() const;
  // Protocol counters summed over the current and all past lifetimes.
  pingack::PingAckStats TotalStats() const;

  // faults::ClusterControl.
  SimNetwork& network() override { return *network_; }
  bool Crash(env::NodeId node) override;
  bool Restart(env::NodeId node) override;
  bool Pause(env::NodeId node, env::DurationNs duration_ns) override;
  bool SetClockDrift(env::NodeId node, int64_t drift_ppb) override;
  bool SetMemoryLimit(env::NodeId node, int64_t limit_bytes) override;

 private:
  struct Node {
    std::unique_ptr<SimProcess> process;
    std::unique_ptr<pingack::PingAckNode> logic;
  };

  void StartLogic(env::NodeId id);

  Scheduler& scheduler_;
  PingAckClusterOptions options_;
  properties::PingAckChecker& checker_;
  std::vector<Node> nodes_;
  std::unique_ptr<SimNetwork> network_;
  bool issuing_ = true;
  pingack::PingAckStats past_stats_;  // Of lifetimes that ended in a crash.
};

}  // namespace kv::sim
