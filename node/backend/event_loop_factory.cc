// MakeEventLoop: chooses the readiness backend. Layer: node/backend.
#include "node/backend/epoll_loop.h"
#include "node/backend/event_loop.h"
#include "node/backend/uring_loop.h"

namespace kv::backend {

absl::StatusOr<std::unique_ptr<EventLoop>> MakeEventLoop(BackendKind kind) {
  if (kind == BackendKind::kEpoll) {
    auto loop = EpollLoop::Create();
    if (!loop.ok()) return loop.status();
    return std::unique_ptr<EventLoop>(std::move(*loop));
  }
  UringOptions options;
  options.force_poll_io = kind == BackendKind::kUringPoll;
  auto loop = UringLoop::Create(options);
  if (!loop.ok()) return loop.status();
  return std::unique_ptr<EventLoop>(std::move(*loop));
}

}  // namespace kv::backend
