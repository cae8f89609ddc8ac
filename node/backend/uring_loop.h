#pragma once
// UringLoop: the EventLoop over io_uring (liburing). Layer: node/backend
// (real nodes only).
//
// Socket I/O goes through the ring: IORING_OP_ACCEPT, IORING_OP_CONNECT,
// IORING_OP_RECV into a buffer each socket owns, IORING_OP_SEND from the
// buffer the write owns (short sends resubmitted), and IORING_OP_ASYNC_CANCEL
// on close. The timer wait is an IORING_OP_TIMEOUT on CLOCK_MONOTONIC.
// Operations prepared during a turn are submitted together with the wait by
// one io_uring_submit_and_wait call at the start of the next turn. The loop's
// eventfd and the signalfd are watched with one-shot IORING_OP_POLL_ADD.
//
// At creation the ring is probed (io_uring_get_probe_ring); if the kernel
// lacks any of those operations, the loop logs a warning and falls back to
// readiness (poll requests on the ring) plus ordinary syscalls: io_mode()
// says which. Both modes pass the same conformance tests.

#include <liburing.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/backend/event_loop.h"

namespace kv::backend {

struct UringOptions {
  // Use readiness plus syscalls even where the ring supports the socket
  // operations (tests cover the fallback path this way).
  bool force_poll_io = false;
};

// Counters of the ring, for tests and metrics.
struct UringStats {
  uint64_t submit_calls = 0;   // io_uring_submit* calls.
  uint64_t operations = 0;     // SQEs prepared for socket I/O (accept, connect, recv, send).
  uint64_t short_sends = 0;    // Sends the kernel completed partially (resubmitted).
  uint64_t cancels = 0;        // Operations cancelled by CloseSocket.
};

class UringLoop final : public EventLoop {
 public:
  // Errors: kUnavailable when io_uring_queue_init or eventfd fails (e.g.
  // io_uring disabled by the kernel or a seccomp profile).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UringLoop>> Create(UringOptions options = {});
  ~UringLoop() override;

  [[nodiscard]] absl::Status Watch(int fd, bool want_write, OnReady on_ready) override;
  void SetInterest(int fd, bool want_read, bool want_write) override;
  void Unwatch(int fd) override;
  absl::string_view name() const override { return "uring"; }
  absl::string_view io_mode() const override { return ring_io_ ? "io_uring" : "io_uring-poll"; }

  void AcceptOn(int listen_fd, OnAccepted on_accepted) override;
  void ConnectSocket(int fd, const sockaddr_in& address, OnConnected on_connected) override;
  void ReadFrom(int fd, OnRead on_read) override;
  void ResumeReading(int fd) override;
  void WriteTo(int fd, std::string bytes, OnWritten on_written) override;
  void CloseSocket(int fd) override;

  const UringStats& stats() const { return stats_; }

 protected:
  void WaitAndDispatch(int timeout_ms) override;

 private:
  // What a completion belongs to: the low bits of its user data.
  enum OpKind : uint64_t {
    kIgnored = 0, kPoll = 1, kAccept = 2, kConnect = 3, kRecv = 4, kSend = 5, kTimeout = 6,
  };
  struct RingSocket;

  UringLoop() = default;
  io_uring_sqe* GetSqe();
  void Disarm(int fd);
  RingSocket& SocketOf(int fd);  // Creates the record on first use.
  void Submit(RingSocket& socket, OpKind kind);
  void OnSocketCompletion(uint64_t id, OpKind kind, int result);
  // Marks an operation done; closes and frees a closing socket whose last
  // operation this was. Returns false if the socket is closing (no callbacks).
  bool Settle(RingSocket& socket, OpKind kind);
  void ArmTimeout(int timeout_ms);

  io_uring ring_{};
  bool ring_ready_ = false;
  bool ring_io_ = false;  // Socket operations on the ring (else readiness fallback).
  uint64_t next_token_ = 1;
  // Armed poll requests: token -> fd. A completion whose token is absent
  // belongs to a cancelled request and is ignored.
  std::map<uint64_t, int> armed_;
  // Current token per watched fd (absent: not armed).
  std::map<int, uint64_t> token_of_fd_;
  // Ring-mode sockets by id, and the id of each open fd.
  std::map<uint64_t, std::unique_ptr<RingSocket>> sockets_;
  std::map<int, uint64_t> socket_of_fd_;
  std::vector<std::unique_ptr<RingSocket>> dead_sockets_;  // Freed at the next wait.
  uint64_t next_socket_id_ = 1;
  // The armed IORING_OP_TIMEOUT: its serial and absolute deadline.
  uint64_t timeout_serial_ = 0;
  bool timeout_armed_ = false;
  int64_t timeout_deadline_ns_ = 0;
  __kernel_timespec timeout_spec_{};
  UringStats stats_;
};

}  // namespace kv::backend
