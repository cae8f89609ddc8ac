#include "node/backend/uring_loop.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::backend {

absl::StatusOr<std::unique_ptr<UringLoop>> UringLoop::Create() {
  std::unique_ptr<UringLoop> loop(new UringLoop());
  const int rc = io_uring_queue_init(256, &loop->ring_, 0);
  if (rc < 0) {
    return absl::UnavailableError(absl::StrCat("io_uring_queue_init: ", std::strerror(-rc)));
  }
  loop->ring_ready_ = true;
  absl::Status s = loop->InitWakeup();
  if (!s.ok()) return s;
  return loop;
}

UringLoop::~UringLoop() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

io_uring_sqe* UringLoop::GetSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    // Submission queue full: hand what we have to the kernel and retry.
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  KV_CHECK(sqe != nullptr);
  return sqe;
}

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
  io_uring_prep_poll_remove(sqe, it->second);
  io_uring_sqe_set_data64(sqe, 0);  // Token 0: the removal's own completion.
  armed_.erase(it->second);
  token_of_fd_.erase(it);
}

void UringLoop::SetWantWrite(int fd, bool want_write) {
  auto it = watches_.find(fd);
  KV_CHECK(it != watches_.end());
  if (it->second->want_write == want_write) return;
  it->second->want_write = want_write;
  Disarm(fd);  // Re-armed with the new mask at the next wait.
}

void UringLoop::Unwatch(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  Disarm(fd);
  // The removal must reach the kernel before the caller closes the fd.
  io_uring_submit(&ring_);
  graveyard_.push_back(std::move(it->second));
  watches_.erase(it);
}

void UringLoop::WaitAndDispatch(int timeout_ms) {
  for (auto& [fd, entry] : watches_) {
    if (token_of_fd_.count(fd) != 0) continue;
    const uint64_t token = next_token_++;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_poll_add(sqe, fd, POLLIN | POLLRDHUP | (entry->want_write ? POLLOUT : 0));
    io_uring_sqe_set_data64(sqe, token);
    armed_[token] = fd;
    token_of_fd_[fd] = token;
  }
  io_uring_submit(&ring_);
  io_uring_cqe* cqe = nullptr;
  int rc;
  if (timeout_ms < 0) {
    rc = io_uring_wait_cqe(&ring_, &cqe);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
    rc = io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
  }
  if (rc < 0) {
    KV_CHECK(rc == -ETIME || rc == -EINTR || rc == -EAGAIN);
    return;
  }
  struct Ready {
    int fd;
    uint64_t generation;
    uint32_t bits;
  };
  std::vector<Ready> ready;
  unsigned head;
  unsigned seen = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++seen;
    const uint64_t token = io_uring_cqe_get_data64(cqe);
    auto armed = armed_.find(token);
    if (token == 0 || armed == armed_.end()) continue;
    const int fd = armed->second;
    armed_.erase(armed);
    token_of_fd_.erase(fd);
    auto watch = watches_.find(fd);
    if (watch == watches_.end()) continue;
    uint32_t bits = 0;
    if (cqe->res < 0) {
      if (cqe->res == -ECANCELED) continue;
      bits = kHangup | kReadable;
    } else {
      const uint32_t revents = static_cast<uint32_t>(cqe->res);
      if (revents & POLLIN) bits |= kReadable;
      if (revents & POLLOUT) bits |= kWritable;
      if (revents & (POLLERR | POLLHUP | POLLRDHUP)) bits |= kHangup | kReadable;
    }
    ready.push_back(Ready{fd, watch->second->generation, bits});
  }
  io_uring_cq_advance(&ring_, seen);
  for (const Ready& r : ready) {
    auto it = watches_.find(r.fd);
    if (it == watches_.end() || it->second->generation != r.generation) continue;
    it->second->on_ready(r.bits);
  }
}

}  // namespace kv::backend
