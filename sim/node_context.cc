#include "sim/node_context.h"

#include <utility>

#include "node/env/check.h"

namespace kv::sim {
namespace {

// Digest tag of a posted task that runs as its own event.
constexpr uint64_t kPostTag = 0x5057'0000'0000'0000ULL;

}  // namespace

void NodeContext::ScheduleDrain() {
  drain_scheduled_ = true;
  After(0, kPostTag ^ id_, [this] { drain_scheduled_ = false; });
}

void NodeContext::AddTaskChunk() {
  task_chunks_.push_back(std::make_unique<TaskStorage[]>(kTaskChunkSize));
  posted_capacity_ += kTaskChunkSize;
}

void NodeContext::RunPosted() {
  // A task may post more; they run in this same loop. A crash (which only a
  // fault event causes, never the node's own code) would have dropped them.
  // Each task runs where it was built (chunks never move), and is destroyed
  // there once it returns.
  ++event_depth_;
  for (size_t i = 0; i < posted_count_; ++i) {
    Callback& task = TaskAt(i);
    task();
    task.~Callback();
  }
  posted_count_ = 0;
  --event_depth_;
}

void NodeContext::DropPosted() {
  for (size_t i = 0; i < posted_count_; ++i) TaskAt(i).~Callback();
  posted_count_ = 0;
}

void NodeContext::Crash() {
  KV_CHECK(up_);
  KV_CHECK_EQ(event_depth_, 0);  // Crashes come from fault events, not the node.
  DropPosted();
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
