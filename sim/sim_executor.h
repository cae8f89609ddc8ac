#pragma once
// SimExecutor: a node's executor in the simulator. Layer: sim.
//
// Post() runs the task when the node's current event returns (or as a
// zero-delay event of the node outside one): never inline, in post order,
// and dropped if the node crashes first (NodeContext::Post).

#include "node/env/executor.h"
#include "sim/node_context.h"

namespace kv::sim {

class SimExecutor final : public env::Executor {
 public:
  explicit SimExecutor(NodeContext& node) : node_(node) {}

  // A lambda goes to Executor's Post, which builds its Task in the node's
  // queue (PostSlot).
  using env::Executor::Post;
  void Post(Task task) override { node_.Post(std::move(task)); }

 protected:
  void* PostSlot() override { return node_.PostSlot(); }

 private:
  NodeContext& node_;
};

}  // namespace kv::sim
