#include "node/backend/epoll_loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::backend {
namespace {

uint32_t EpollEvents(bool want_read, bool want_write) {
  return (want_read ? EPOLLIN | EPOLLRDHUP : 0u) | (want_write ? EPOLLOUT : 0u);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EpollLoop>> EpollLoop::Create() {
  std::unique_ptr<EpollLoop> loop(new EpollLoop());
  loop->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (loop->epoll_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("epoll_create1: ", std::strerror(errno)));
  }
  absl::Status s = loop->InitWakeup();
  if (!s.ok()) return s;
  return loop;
}

EpollLoop::~EpollLoop() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

absl::Status EpollLoop::Watch(int fd, bool want_write, OnReady on_ready) {
  auto entry = std::make_unique<WatchEntry>();
  entry->on_ready = std::move(on_ready);
  entry->want_write = want_write;
  entry->generation = next_generation_++;
  epoll_event event{};
  event.events = EpollEvents(true, want_write);
  event.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::UnavailableError(absl::StrCat("epoll_ctl add fd ", fd, ": ", std::strerror(errno)));
  }
  KV_CHECK(watches_.find(fd) == watches_.end());
  watches_[fd] = std::move(entry);
  return absl::OkStatus();
}

void EpollLoop::SetInterest(int fd, bool want_read, bool want_write) {
  auto it = watches_.find(fd);
  KV_CHECK(it != watches_.end());
  if (it->second->want_read == want_read && it->second->want_write == want_write) return;
  it->second->want_read = want_read;
  it->second->want_write = want_write;
  epoll_event event{};
  event.events = EpollEvents(want_read, want_write);
  event.data.fd = fd;
  KV_CHECK_EQ(::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event), 0);
}

void EpollLoop::Unwatch(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  graveyard_.push_back(std::move(it->second));
  watches_.erase(it);
}

void EpollLoop::WaitAndDispatch(int timeout_ms) {
  epoll_event events[64];
  const int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
  if (n < 0) {
    KV_CHECK_EQ(errno, EINTR);
    return;
  }
  // Collect (fd, generation) first: a callback may unwatch another fd, and
  // a new watch may reuse the number of a closed one in the same turn.
  struct Ready {
    int fd;
    uint64_t generation;
    uint32_t bits;
  };
  Ready ready[64];
  int count = 0;
  for (int i = 0; i < n; ++i) {
    auto it = watches_.find(events[i].data.fd);
    if (it == watches_.end()) continue;
    uint32_t bits = 0;
    if (events[i].events & EPOLLIN) bits |= kReadable;
    if (events[i].events & EPOLLOUT) bits |= kWritable;
    if (events[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) bits |= kHangup | kReadable;
    ready[count++] = Ready{events[i].data.fd, it->second->generation, bits};
  }
  for (int i = 0; i < count; ++i) {
    auto it = watches_.find(ready[i].fd);
    if (it == watches_.end() || it->second->generation != ready[i].generation) continue;
    it->second->on_ready(ready[i].bits);
  }
}

}  // namespace kv::backend
