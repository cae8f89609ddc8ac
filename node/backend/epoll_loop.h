#pragma once
// EpollLoop: the EventLoop over Linux epoll (level-triggered). Layer:
// node/backend (real nodes only).

#include <memory>

#include "absl/status/statusor.h"
#include "node/backend/event_loop.h"

namespace kv::backend {

class EpollLoop final : public EventLoop {
 public:
  // Errors: kUnavailable when epoll_create1 or eventfd fails.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EpollLoop>> Create();
  ~EpollLoop() override;

  [[nodiscard]] absl::Status Watch(int fd, bool want_write, OnReady on_ready) override;
  void SetInterest(int fd, bool want_read, bool want_write) override;
  void Unwatch(int fd) override;
  absl::string_view name() const override { return "epoll"; }

 protected:
  void WaitAndDispatch(int timeout_ms) override;

 private:
  EpollLoop() = default;
  int epoll_fd_ = -1;
};

}  // namespace kv::backend
