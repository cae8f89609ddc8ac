#include "sim/node_context.h"

#include <utility>

#include "node/env/check.h"

namespace kv::sim {
namespace {

// Digest tag of a posted task that runs as its own event.
constexpr uint64_t kPostTag = 0x5057'0000'0000'0000ULL;

}  // namespace

void NodeContext::Post(Callback&& task) {
  posted_.push_back(std::move(task));
  if (event_depth_ == 0 && !drain_scheduled_) {
    // Outside an event: an empty event of this node, which runs the queue
    // when it returns (RunEvent), keeping post order across both paths.
    drain_scheduled_ = true;
    After(0, kPostTag ^ id_, [this] { drain_scheduled_ = false; });
  }
}

void NodeContext::RunPosted() {
  // A task may post more; they run in this same loop. A crash (which only a
  // fault event causes, never the node's own code) would have cleared them.
  // Each task runs where it is queued (a deque's push_back does not move
  // the elements already in it), saving two AnyInvocable moves per task.
  ++event_depth_;
  while (!posted_.empty()) {
    posted_.front()();
    posted_.pop_front();
  }
  --event_depth_;
}

void NodeContext::Crash() {
  KV_CHECK(up_);
  KV_CHECK_EQ(event_depth_, 0);  // Crashes come from fault events, not the node.
  posted_.clear();
  drain_scheduled_ = false;
  up_ = false;
  ++incarnation_;
  paused_until_ns_ = 0;
}

void NodeContext::Restart() {
  KV_CHECK(!up_);
  up_ = true;
}

void NodeContext::PauseUntil(env::TimeNs until_ns) {
  if (until_ns > paused_until_ns_) paused_until_ns_ = until_ns;
}

}  // namespace kv::sim
