#include "node/backend/uring_loop.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "node/backend/backend_log.h"
#include "node/env/check.h"

namespace kv::backend {
namespace {

constexpr unsigned kRingEntries = 512;
constexpr int kKindBits = 3;

uint64_t UserData(uint64_t serial, uint64_t kind) { return (serial << kKindBits) | kind; }

// The socket operations ring mode needs; a kernel lacking any gets the
// readiness fallback.
struct NeededOp {
  int op;
  const char* name;
};
constexpr NeededOp kNeededOps[] = {
    {IORING_OP_ACCEPT, "ACCEPT"},   {IORING_OP_CONNECT, "CONNECT"},
    {IORING_OP_RECV, "RECV"},       {IORING_OP_SEND, "SEND"},
    {IORING_OP_TIMEOUT, "TIMEOUT"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
    {IORING_OP_POLL_ADD, "POLL_ADD"},
};

}  // namespace

struct UringLoop::RingSocket {
  uint64_t id = 0;
  int fd = -1;
  bool closing = false;
  OnAccepted on_accepted;
  OnConnected on_connected;
  sockaddr_in address{};  // Read by the kernel while the connect is in flight.
  OnRead on_read;
  bool read_paused = false;
  bool read_ended = false;
  std::unique_ptr<char[]> read_buffer;  // kStreamReadChunkBytes, owned by the recv in flight.
  std::string out;                      // Owned by the send in flight, from out_offset.
  size_t out_offset = 0;
  OnWritten on_written;
  // At most one operation of each kind is in flight.
  bool in_flight[kTimeout] = {};
  bool any_in_flight() const {
    for (bool b : in_flight) {
      if (b) return true;
    }
    return false;
  }
};

absl::StatusOr<std::unique_ptr<UringLoop>> UringLoop::Create(UringOptions options) {
  std::unique_ptr<UringLoop> loop(new UringLoop());
  const int rc = io_uring_queue_init(kRingEntries, &loop->ring_, 0);
  if (rc < 0) {
    return absl::UnavailableError(absl::StrCat("io_uring_queue_init: ", std::strerror(-rc)));
  }
  loop->ring_ready_ = true;
  std::string missing;
  io_uring_probe* probe = io_uring_get_probe_ring(&loop->ring_);
  for (const NeededOp& op : kNeededOps) {
    if (probe == nullptr || !io_uring_opcode_supported(probe, op.op)) {
      absl::StrAppend(&missing, missing.empty() ? "" : ",", op.name);
    }
  }
  if (probe != nullptr) io_uring_free_probe(probe);
  loop->ring_io_ = missing.empty() && !options.force_poll_io;
  if (!missing.empty()) {
    Log(LogLevel::kWarn, "uring",
        "kernel lacks io_uring operations; using poll readiness and syscalls for sockets",
        absl::StrCat("missing=", missing));
  }
  absl::Status s = loop->InitWakeup();
  if (!s.ok()) return s;
  return loop;
}

UringLoop::~UringLoop() {
  if (!ring_ready_) return;
  // The kernel may still write into read buffers or read send buffers of
  // operations in flight: cancel them and wait (bounded) for their
  // completions before freeing the buffers and closing the sockets.
  for (auto& [id, socket] : sockets_) {
    for (uint64_t kind = kAccept; kind < kTimeout; ++kind) {
      if (!socket->in_flight[kind]) continue;
      io_uring_sqe* sqe = GetSqe();
      io_uring_prep_cancel64(sqe, UserData(id, kind), 0);
      io_uring_sqe_set_data64(sqe, UserData(0, kIgnored));
    }
  }
  io_uring_submit(&ring_);
  for (int waited_ms = 0; waited_ms < 1000; waited_ms += 10) {
    bool pending = false;
    for (auto& [id, socket] : sockets_) pending = pending || socket->any_in_flight();
    if (!pending) break;
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{0, 10 * 1000 * 1000};
    if (io_uring_wait_cqe_timeout(&ring_, &cqe, &ts) != 0) continue;
    const uint64_t data = io_uring_cqe_get_data64(cqe);
    io_uring_cqe_seen(&ring_, cqe);
    auto it = sockets_.find(data >> kKindBits);
    const uint64_t kind = data & ((1u << kKindBits) - 1);
    if (kind >= kAccept && kind < kTimeout && it != sockets_.end()) it->second->in_flight[kind] = false;
  }
  for (auto& [id, socket] : sockets_) ::close(socket->fd);
  io_uring_queue_exit(&ring_);
}

io_uring_sqe* UringLoop::GetSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    // Submission queue full: hand what we have to the kernel and retry.
    ++stats_.submit_calls;
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  KV_CHECK(sqe != nullptr);
  return sqe;
}

// ---- Readiness (poll requests): the eventfd, the signalfd, the fallback ----

absl::Status UringLoop::Watch(int fd, bool want_write, OnReady on_ready) {
  KV_CHECK(watches_.find(fd) == watches_.end());
  auto entry = std::make_unique<WatchEntry>();
  entry->on_ready = std::move(on_ready);
  entry->want_write = want_write;
  entry->generation = next_generation_++;
  watches_[fd] = std::move(entry);
  return absl::OkStatus();  // Armed at the next wait.
}

void UringLoop::Disarm(int fd) {
  auto it = token_of_fd_.find(fd);
  if (it == token_of_fd_.end()) return;
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_poll_remove(sqe, UserData(it->second, kPoll));
  io_uring_sqe_set_data64(sqe, UserData(0, kIgnored));
  armed_.erase(it->second);
  token_of_fd_.erase(it);
}

void UringLoop::SetInterest(int fd, bool want_read, bool want_write) {
  auto it = watches_.find(fd);
  KV_CHECK(it != watches_.end());
  if (it->second->want_read == want_read && it->second->want_write == want_write) return;
  it->second->want_read = want_read;
  it->second->want_write = want_write;
  Disarm(fd);  // Re-armed with the new mask at the next wait.
}

void UringLoop::Unwatch(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  Disarm(fd);
  // The removal must reach the kernel before the caller closes the fd: a
  // pending poll holds the file open, and the peer would never see the close.
  ++stats_.submit_calls;
  io_uring_submit(&ring_);
  graveyard_.push_back(std::move(it->second));
  watches_.erase(it);
}

// ---- Socket operations on the ring ----

UringLoop::RingSocket& UringLoop::SocketOf(int fd) {
  auto it = socket_of_fd_.find(fd);
  if (it != socket_of_fd_.end()) return *sockets_.at(it->second);
  auto socket = std::make_unique<RingSocket>();
  socket->id = next_socket_id_++;
  socket->fd = fd;
  RingSocket& out = *socket;
  socket_of_fd_[fd] = socket->id;
  sockets_[socket->id] = std::move(socket);
  return out;
}

void UringLoop::Submit(RingSocket& socket, OpKind kind) {
  KV_CHECK(!socket.in_flight[kind]);
  KV_CHECK(!socket.closing);
  io_uring_sqe* sqe = GetSqe();
  switch (kind) {
    case kAccept:
      io_uring_prep_accept(sqe, socket.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      break;
    case kConnect:
      io_uring_prep_connect(sqe, socket.fd, reinterpret_cast<const sockaddr*>(&socket.address),
                            sizeof(socket.address));
      break;
    case kRecv:
      io_uring_prep_recv(sqe, socket.fd, socket.read_buffer.get(), kStreamReadChunkBytes, 0);
      break;
    case kSend:
      io_uring_prep_send(sqe, socket.fd, socket.out.data() + socket.out_offset,
                         socket.out.size() - socket.out_offset, MSG_NOSIGNAL);
      break;
    default:
      KV_CHECK(false);
  }
  io_uring_sqe_set_data64(sqe, UserData(socket.id, kind));
  socket.in_flight[kind] = true;
  ++stats_.operations;
}

void UringLoop::AcceptOn(int listen_fd, OnAccepted on_accepted) {
  if (!ring_io_) return EventLoop::AcceptOn(listen_fd, std::move(on_accepted));
  RingSocket& socket = SocketOf(listen_fd);
  socket.on_accepted = std::move(on_accepted);
  Submit(socket, kAccept);
}

void UringLoop::ConnectSocket(int fd, const sockaddr_in& address, OnConnected on_connected) {
  if (!ring_io_) return EventLoop::ConnectSocket(fd, address, std::move(on_connected));
  RingSocket& socket = SocketOf(fd);
  socket.address = address;
  socket.on_connected = std::move(on_connected);
  Submit(socket, kConnect);
}

void UringLoop::ReadFrom(int fd, OnRead on_read) {
  if (!ring_io_) return EventLoop::ReadFrom(fd, std::move(on_read));
  RingSocket& socket = SocketOf(fd);
  KV_CHECK(socket.on_read == nullptr);
  socket.on_read = std::move(on_read);
  socket.read_buffer = std::make_unique<char[]>(kStreamReadChunkBytes);
  Submit(socket, kRecv);
}

void UringLoop::ResumeReading(int fd) {
  if (!ring_io_) return EventLoop::ResumeReading(fd);
  auto it = socket_of_fd_.find(fd);
  if (it == socket_of_fd_.end()) return;
  RingSocket& socket = *sockets_.at(it->second);
  if (!socket.read_paused || socket.read_ended) return;
  socket.read_paused = false;
  Submit(socket, kRecv);
}

void UringLoop::WriteTo(int fd, std::string bytes, OnWritten on_written) {
  if (!ring_io_) return EventLoop::WriteTo(fd, std::move(bytes), std::move(on_written));
  RingSocket& socket = SocketOf(fd);
  KV_CHECK(!socket.in_flight[kSend]);
  socket.out = std::move(bytes);
  socket.out_offset = 0;
  socket.on_written = std::move(on_written);
  Submit(socket, kSend);
}

void UringLoop::CloseSocket(int fd) {
  if (!ring_io_) return EventLoop::CloseSocket(fd);
  auto it = socket_of_fd_.find(fd);
  if (it == socket_of_fd_.end()) {
    ::close(fd);
    return;
  }
  RingSocket& socket = *sockets_.at(it->second);
  socket_of_fd_.erase(it);
  socket.closing = true;
  bool pending = false;
  for (uint64_t kind = kAccept; kind < kTimeout; ++kind) {
    if (!socket.in_flight[kind]) continue;
    pending = true;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_cancel64(sqe, UserData(socket.id, kind), 0);
    io_uring_sqe_set_data64(sqe, UserData(0, kIgnored));
    ++stats_.cancels;
  }
  if (!pending) Settle(socket, kIgnored);
}

bool UringLoop::Settle(RingSocket& socket, OpKind kind) {
  if (kind != kIgnored) socket.in_flight[kind] = false;
  if (!socket.closing) return true;
  if (!socket.any_in_flight()) {
    // The kernel is done with the buffers: close, and free the record once
    // no callback of it can be running (at the next wait).
    ::close(socket.fd);
    auto it = sockets_.find(socket.id);
    dead_sockets_.push_back(std::move(it->second));
    sockets_.erase(it);
  }
  return false;
}

void UringLoop::OnSocketCompletion(uint64_t id, OpKind kind, int result) {
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return;
  RingSocket& socket = *it->second;
  if (!Settle(socket, kind)) return;
  switch (kind) {
    case kAccept:
      socket.on_accepted(result);
      // The callback may have closed the listener.
      if (socket.closing) return;
      if (result < 0 && AcceptFailedForResources(-result)) {
        // Back off (EventLoop::AcceptOn); closing the listener meanwhile
        // leaves nothing in flight to wait for.
        After(kAcceptBackoffNs, [this, id] {
          auto again = sockets_.find(id);
          if (again == sockets_.end() || again->second->closing || again->second->in_flight[kAccept]) return;
          Submit(*again->second, kAccept);
        });
        return;
      }
      Submit(socket, kAccept);
      return;
    case kConnect: {
      OnConnected done = std::move(socket.on_connected);
      done(result < 0 ? -result : 0);
      return;
    }
    case kRecv: {
      if (result == -EINTR || result == -EAGAIN) return Submit(socket, kRecv);
      if (result <= 0) {
        socket.read_ended = true;
        socket.on_read(absl::string_view(), result < 0 ? -result : 0);
        return;
      }
      const bool more = socket.on_read(
          absl::string_view(socket.read_buffer.get(), static_cast<size_t>(result)), 0);
      if (socket.closing) return;
      if (more) {
        Submit(socket, kRecv);
      } else {
        socket.read_paused = true;
      }
      return;
    }
    case kSend: {
      if (result == -EINTR || result == -EAGAIN) return Submit(socket, kSend);
      if (result >= 0) {
        socket.out_offset += static_cast<size_t>(result);
        if (socket.out_offset < socket.out.size()) {
          ++stats_.short_sends;
          return Submit(socket, kSend);
        }
      }
      socket.out.clear();
      socket.out_offset = 0;
      OnWritten done = std::move(socket.on_written);
      done(result < 0 ? -result : 0);
      return;
    }
    default:
      KV_CHECK(false);
  }
}

// ---- The wait ----

void UringLoop::ArmTimeout(int timeout_ms) {
  const int64_t deadline_ns = NowNs() + static_cast<int64_t>(timeout_ms) * env::kMillisecond;
  // An armed timeout due no later than this one wakes us in time; an
  // earlier wake-up is harmless (the loop recomputes its wait).
  if (timeout_armed_ && timeout_deadline_ns_ <= deadline_ns) return;
  timeout_spec_.tv_sec = deadline_ns / env::kSecond;
  timeout_spec_.tv_nsec = deadline_ns % env::kSecond;
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_timeout(sqe, &timeout_spec_, 0, IORING_TIMEOUT_ABS);  // CLOCK_MONOTONIC.
  io_uring_sqe_set_data64(sqe, UserData(++timeout_serial_, kTimeout));
  timeout_armed_ = true;
  timeout_deadline_ns_ = deadline_ns;
}

void UringLoop::WaitAndDispatch(int timeout_ms) {
  dead_sockets_.clear();
  for (auto& [fd, entry] : watches_) {
    if (token_of_fd_.count(fd) != 0) continue;
    const uint64_t token = next_token_++;
    io_uring_sqe* sqe = GetSqe();
    const unsigned mask = (entry->want_read ? POLLIN | POLLRDHUP : 0) | (entry->want_write ? POLLOUT : 0);
    io_uring_prep_poll_add(sqe, fd, mask);
    io_uring_sqe_set_data64(sqe, UserData(token, kPoll));
    armed_[token] = fd;
    token_of_fd_[fd] = token;
  }
  if (timeout_ms > 0) ArmTimeout(timeout_ms);
  // One system call per turn: everything prepared since the last turn goes
  // to the kernel, and the same call waits for the first completion.
  ++stats_.submit_calls;
  const int rc = io_uring_submit_and_wait(&ring_, timeout_ms == 0 ? 0 : 1);
  if (rc < 0) KV_CHECK(rc == -EINTR || rc == -EAGAIN || rc == -EBUSY);
  struct Completion {
    uint64_t data;
    int result;
  };
  std::vector<Completion> completions;
  io_uring_cqe* cqe = nullptr;
  unsigned head;
  unsigned seen = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++seen;
    completions.push_back(Completion{io_uring_cqe_get_data64(cqe), cqe->res});
  }
  io_uring_cq_advance(&ring_, seen);
  struct Ready {
    int fd;
    uint64_t generation;
    uint32_t bits;
  };
  std::vector<Ready> ready;
  for (const Completion& c : completions) {
    const auto kind = static_cast<OpKind>(c.data & ((1u << kKindBits) - 1));
    const uint64_t serial = c.data >> kKindBits;
    if (kind == kIgnored) continue;
    if (kind == kTimeout) {
      if (serial == timeout_serial_) timeout_armed_ = false;
      continue;
    }
    if (kind != kPoll) {
      OnSocketCompletion(serial, kind, c.result);
      continue;
    }
    auto armed = armed_.find(serial);
    if (armed == armed_.end()) continue;
    const int fd = armed->second;
    armed_.erase(armed);
    token_of_fd_.erase(fd);
    auto watch = watches_.find(fd);
    if (watch == watches_.end()) continue;
    uint32_t bits = 0;
    if (c.result < 0) {
      if (c.result == -ECANCELED) continue;
      bits = kHangup | kReadable;
    } else {
      const auto revents = static_cast<uint32_t>(c.result);
      if (revents & POLLIN) bits |= kReadable;
      if (revents & POLLOUT) bits |= kWritable;
      if (revents & (POLLERR | POLLHUP | POLLRDHUP)) bits |= kHangup | kReadable;
    }
    ready.push_back(Ready{fd, watch->second->generation, bits});
  }
  for (const Ready& r : ready) {
    auto it = watches_.find(r.fd);
    if (it == watches_.end() || it->second->generation != r.generation) continue;
    it->second->on_ready(r.bits);
  }
}

}  // namespace kv::backend
