#include "sim/node_context.h"

#include <utility>

#include "node/env/check.h"

namespace kv::sim {

EventId NodeContext::After(env::DurationNs delay_ns, uint64_t digest_tag, Callback callback) {
  return scheduler_.After(delay_ns, digest_tag,
                   [this, incarnation = incarnation_, digest_tag,
                    callback = std::move(callback)]() mutable {
                     Dispatch(incarnation, digest_tag, std::move(callback));
                   });
}

void NodeContext::Dispatch(uint64_t incarnation, uint64_t digest_tag, Callback callback) {
  if (incarnation != incarnation_ || !up_) {
    ++dropped_count_;
    return;
  }
  if (paused()) {
    ++deferred_count_;
    scheduler_.At(paused_until_ns_, digest_tag,
                  [this, incarnation, digest_tag, callback = std::move(callback)]() mutable {
                    Dispatch(incarnation, digest_tag, std::move(callback));
                  });
    return;
  }
  callback();
}

void NodeContext::Crash() {
  KV_CHECK(up_);
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
