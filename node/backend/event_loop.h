#pragma once
// EventLoop: the single logic thread of a real node, as the env's Clock and
// Executor, plus readiness notifications on file descriptors for the TCP
// network. Layer: node/backend (real nodes only; uses threads and clocks).
//
// One thread calls Run() and executes everything: fd callbacks, timers,
// posted tasks and end-of-turn hooks. Post() and Stop() are the only calls
// safe from other threads (storage syncer threads post completions). The
// readiness mechanism is a subclass: EpollLoop (epoll) or UringLoop
// (io_uring poll requests). Create one with MakeEventLoop().

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/env/clock.h"
#include "node/env/executor.h"

namespace kv::backend {

// Readiness bits passed to an fd callback.
inline constexpr uint32_t kReadable = 1;
inline constexpr uint32_t kWritable = 2;
inline constexpr uint32_t kHangup = 4;  // Error or hang-up; read to learn which.

class EventLoop : public env::Clock, public env::Executor {
 public:
  using OnReady = absl::AnyInvocable<void(uint32_t events)>;

  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // env::Clock: CLOCK_MONOTONIC; timers fire on the loop thread, in deadline
  // order, ties in the order they were set, never inline.
  env::TimeNs NowNs() const override;
  env::TimerId After(env::DurationNs delay_ns, OnFire on_fire) override;
  bool Cancel(env::TimerId id) override;

  // env::Executor: thread-safe; the task runs on the loop thread.
  void Post(Task task) override;

  // Watches `fd` (non-blocking) for readability, and for writability when
  // `want_write`. `on_ready` runs on the loop thread. Loop thread only.
  [[nodiscard]] virtual absl::Status Watch(int fd, bool want_write, OnReady on_ready) = 0;
  // Changes whether writability is watched. Loop thread only.
  virtual void SetWantWrite(int fd, bool want_write) = 0;
  // Stops watching `fd` (before the caller closes it). Safe from inside the
  // fd's own callback. Loop thread only.
  virtual void Unwatch(int fd) = 0;

  // Runs `hook` at the end of every turn (after fd events, timers and posted
  // tasks); the network flushes coalesced writes here. Loop thread only.
  void AddEndOfTurnHook(absl::AnyInvocable<void()> hook);

  // Runs turns until Stop() is called.
  void Run();
  // Runs turns until `done()` is true or `timeout_ns` passes; returns done().
  bool RunUntil(absl::AnyInvocable<bool()> done, env::DurationNs timeout_ns);
  // Makes Run() return after the current turn (or at once, if Run() has not
  // started yet). Thread-safe.
  void Stop();

  // Name of the backend ("epoll" or "uring").
  virtual absl::string_view name() const = 0;

  // Number of tasks and timers run so far (for tests and metrics).
  uint64_t tasks_run() const { return tasks_run_; }

 protected:
  EventLoop();
  // Creates the wake-up eventfd and watches it. Subclasses call it once set up.
  [[nodiscard]] absl::Status InitWakeup();
  // Waits up to `timeout_ms` (-1: forever, 0: poll) for fd readiness and runs
  // the callbacks of ready fds.
  virtual void WaitAndDispatch(int timeout_ms) = 0;

  // Callbacks by fd; entries removed by Unwatch are parked in graveyard_
  // until the turn ends, so a callback may unwatch itself.
  struct WatchEntry {
    OnReady on_ready;
    bool want_write = false;
    uint64_t generation = 0;
  };
  std::map<int, std::unique_ptr<WatchEntry>> watches_;
  std::vector<std::unique_ptr<WatchEntry>> graveyard_;
  uint64_t next_generation_ = 1;

 private:
  void Turn(bool may_block);
  void RunTimers();
  void RunPosted();
  void DrainWakeup();

  struct TimerKey {
    env::TimeNs deadline_ns;
    uint64_t sequence;
    friend bool operator<(const TimerKey& a, const TimerKey& b) {
      if (a.deadline_ns != b.deadline_ns) return a.deadline_ns < b.deadline_ns;
      return a.sequence < b.sequence;
    }
  };
  std::map<TimerKey, OnFire> timers_;
  std::map<uint64_t, TimerKey> timer_keys_;  // By timer id.
  uint64_t next_timer_sequence_ = 1;

  int wakeup_fd_ = -1;
  std::mutex posted_mutex_;
  std::vector<Task> posted_;  // Guarded by posted_mutex_.
  std::atomic<bool> wakeup_pending_{false};
  std::atomic<bool> stop_{false};
  std::vector<absl::AnyInvocable<void()>> end_of_turn_hooks_;
  uint64_t tasks_run_ = 0;
};

// Which readiness backend to use.
enum class BackendKind { kEpoll, kUring };

// Parses "epoll" or "uring" (also "io_uring"). Errors: kInvalidArgument.
[[nodiscard]] absl::StatusOr<BackendKind> ParseBackendKind(absl::string_view text);

// Creates a loop of the given kind. Errors: the kernel refused (e.g.
// io_uring disabled): kUnavailable with the errno text.
[[nodiscard]] absl::StatusOr<std::unique_ptr<EventLoop>> MakeEventLoop(BackendKind kind);

}  // namespace kv::backend
