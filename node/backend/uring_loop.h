#pragma once
// UringLoop: the EventLoop over io_uring (liburing). Readiness comes from
// one-shot IORING_OP_POLL_ADD requests, re-armed each turn, so the TCP
// network code is shared with EpollLoop and both pass the same conformance
// tests. Layer: node/backend (real nodes only).

#include <liburing.h>

#include <map>
#include <memory>

#include "absl/status/statusor.h"
#include "node/backend/event_loop.h"

namespace kv::backend {

class UringLoop final : public EventLoop {
 public:
  // Errors: kUnavailable when io_uring_queue_init or eventfd fails (e.g.
  // io_uring disabled by the kernel or a seccomp profile).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UringLoop>> Create();
  ~UringLoop() override;

  [[nodiscard]] absl::Status Watch(int fd, bool want_write, OnReady on_ready) override;
  void SetWantWrite(int fd, bool want_write) override;
  void Unwatch(int fd) override;
  absl::string_view name() const override { return "uring"; }

 protected:
  void WaitAndDispatch(int timeout_ms) override;

 private:
  UringLoop() = default;
  io_uring_sqe* GetSqe();
  void Disarm(int fd);

  io_uring ring_{};
  bool ring_ready_ = false;
  uint64_t next_token_ = 1;
  // Armed poll requests: token -> fd. A completion whose token is absent
  // belongs to a cancelled request and is ignored.
  std::map<uint64_t, int> armed_;
  // Current token per watched fd (absent: not armed).
  std::map<int, uint64_t> token_of_fd_;
};

}  // namespace kv::backend
