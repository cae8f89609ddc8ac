#pragma once
// SimProcess: what the simulator provides one node's process: its context
// (crash, restart, pause), clock, executor, memory budget, random stream and
// the Env bundle the node logic is handed. Layer: sim.
//
// Harnesses hold one per simulated process. Build order: the process first
// (the network needs its context), then AttachNetwork with its endpoint.

#include <memory>

#include "node/env/env.h"
#include "sim/node_context.h"
#include "sim/scheduler.h"
#include "sim/sim_clock.h"
#include "sim/sim_executor.h"

namespace kv::sim {

class SimProcess {
 public:
  SimProcess(Scheduler& scheduler, env::NodeId id, env::Random random, env::TimeNs clock_offset_ns,
             int64_t clock_drift_ppb, int64_t memory_limit_bytes)
      : context_(scheduler, id),
        clock_(scheduler, context_, clock_offset_ns, clock_drift_ppb),
        executor_(context_),
        memory_(memory_limit_bytes),
        random_(random) {}
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  // Builds the Env over `endpoint`, which must outlive this process, with
  // the run's fault points `buggify` (may be null; must outlive the process).
  void AttachNetwork(env::Network& endpoint, env::Buggify* buggify = nullptr) {
    env_ = std::make_unique<env::Env>(env::Env{clock_, endpoint, executor_, random_, memory_, buggify});
  }

  NodeContext& context() { return context_; }
  SimClock& clock() { return clock_; }
  env::MemoryBudget& memory() { return memory_; }
  // Precondition: AttachNetwork was called.
  env::Env& env() { return *env_; }

 private:
  NodeContext context_;
  SimClock clock_;
  SimExecutor executor_;
  env::MemoryBudget memory_;
  env::Random random_;
  std::unique_ptr<env::Env> env_;
};

}  // namespace kv::sim
