#include "node/backend/event_loop.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::backend {

EventLoop::EventLoop() = default;

EventLoop::~EventLoop() {
  if (wakeup_fd_ >= 0) ::close(wakeup_fd_);
  for (auto& [fd, stream] : streams_) ::close(fd);  // Sockets the owner never closed.
}

absl::Status EventLoop::InitWakeup() {
  wakeup_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeup_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  return Watch(wakeup_fd_, false, [this](uint32_t) { DrainWakeup(); });
}

env::TimeNs EventLoop::NowNs() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<env::TimeNs>(ts.tv_sec) * env::kSecond + ts.tv_nsec;
}

env::TimerId EventLoop::After(env::DurationNs delay_ns, OnFire on_fire) {
  if (delay_ns < 0) delay_ns = 0;
  const uint64_t sequence = next_timer_sequence_++;
  TimerKey key{NowNs() + delay_ns, sequence};
  timers_.emplace(key, std::move(on_fire));
  timer_keys_.emplace(sequence, key);
  return env::TimerId{sequence};
}

bool EventLoop::Cancel(env::TimerId id) {
  auto it = timer_keys_.find(id.value);
  if (it == timer_keys_.end()) return false;
  timers_.erase(it->second);
  timer_keys_.erase(it);
  return true;
}

void EventLoop::Post(Task task) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(task));
  }
  if (!wakeup_pending_.exchange(true)) {
    const uint64_t one = 1;
    ssize_t unused = ::write(wakeup_fd_, &one, sizeof(one));
    (void)unused;  // EAGAIN means the counter is already non-zero: awake anyway.
  }
}

void EventLoop::DrainWakeup() {
  uint64_t value = 0;
  ssize_t unused = ::read(wakeup_fd_, &value, sizeof(value));
  (void)unused;
}

void EventLoop::AddEndOfTurnHook(absl::AnyInvocable<void()> hook) {
  end_of_turn_hooks_.push_back(std::move(hook));
}

void EventLoop::Stop() {
  stop_.store(true);
  Post([] {});  // Wakes a blocked wait.
}

void EventLoop::Run() {
  // A Stop() that came before Run() (another thread, a signal) still counts;
  // the flag is cleared on the way out so the loop can run again.
  while (!stop_.load()) Turn(true);
  stop_.store(false);
}

bool EventLoop::RunUntil(absl::AnyInvocable<bool()> done, env::DurationNs timeout_ns) {
  const env::TimeNs deadline = NowNs() + timeout_ns;
  // A timer bounds the wait of each turn, so the deadline is noticed.
  bool timed_out = false;
  env::TimerId guard = After(timeout_ns, [&timed_out] { timed_out = true; });
  while (!done() && !timed_out && NowNs() < deadline) Turn(true);
  Cancel(guard);
  return done();
}

void EventLoop::Turn(bool may_block) {
  ++turns_;
  int timeout_ms = may_block && deferred_.empty() ? -1 : 0;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    if (!posted_.empty()) timeout_ms = 0;
  }
  if (timeout_ms != 0 && !timers_.empty()) {
    const env::DurationNs wait_ns = timers_.begin()->first.deadline_ns - NowNs();
    // Round up so a timer is never polled for before its deadline.
    timeout_ms = wait_ns <= 0 ? 0 : static_cast<int>((wait_ns + env::kMillisecond - 1) / env::kMillisecond);
  }
  WaitAndDispatch(timeout_ms);
  RunTimers();
  RunPosted();
  for (auto& hook : end_of_turn_hooks_) hook();
  graveyard_.clear();
  closed_streams_.clear();
}

void EventLoop::RunTimers() {
  const env::TimeNs now = NowNs();
  // Timers set by these callbacks wait for the next turn, even with zero delay,
  // so a timer that re-arms itself cannot starve the loop.
  const uint64_t last_sequence = next_timer_sequence_ - 1;
  auto it = timers_.begin();
  while (it != timers_.end() && it->first.deadline_ns <= now) {
    if (it->first.sequence > last_sequence) {
      ++it;
      continue;
    }
    OnFire fire = std::move(it->second);
    timer_keys_.erase(it->first.sequence);
    timers_.erase(it);
    ++tasks_run_;
    fire();
    it = timers_.begin();
  }
}

void EventLoop::RunPosted() {
  std::vector<Task> tasks;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    tasks.swap(posted_);
    wakeup_pending_.store(false);
  }
  for (Task& task : tasks) {
    ++tasks_run_;
    task();
  }
  std::vector<Task> deferred;
  deferred.swap(deferred_);
  for (Task& task : deferred) {
    ++tasks_run_;
    task();
  }
}

absl::StatusOr<BackendKind> ParseBackendKind(absl::string_view text) {
  if (text == "epoll") return BackendKind::kEpoll;
  if (text == "uring" || text == "io_uring") return BackendKind::kUring;
  if (text == "uring-poll") return BackendKind::kUringPoll;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown backend \"", text, "\"; expected epoll, uring or uring-poll"));
}

}  // namespace kv::backend
