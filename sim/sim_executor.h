#pragma once
// SimExecutor: a node's executor in the simulator. Layer: sim.
//
// Post() schedules the task as a zero-delay event of the node, so it runs
// after the current event, in post order (the scheduler's sequence numbers),
// and is dropped if the node crashes first.

#include "node/env/executor.h"
#include "sim/node_context.h"

namespace kv::sim {

class SimExecutor final : public env::Executor {
 public:
  explicit SimExecutor(NodeContext& node) : node_(node) {}

  void Post(Task task) override {
    node_.After(0, 0x5057'0000'0000'0000ULL ^ node_.id(), std::move(task));
  }

 private:
  NodeContext& node_;
};

}  // namespace kv::sim
