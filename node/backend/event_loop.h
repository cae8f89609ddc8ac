#pragma once
// EventLoop: the single logic thread of a real node, as the env's Clock and
// Executor, plus readiness notifications on file descriptors for the TCP
// network. Layer: node/backend (real nodes only; uses threads and clocks).
//
// One thread calls Run() and executes everything: fd callbacks, timers,
// posted tasks and end-of-turn hooks. Post() and Stop() are the only calls
// safe from other threads (storage syncer threads post completions). The
// backend is a subclass: EpollLoop (epoll readiness) or UringLoop (io_uring).
// Create one with MakeEventLoop().
//
// Sockets: the TCP code does its I/O through the completion-style stream
// calls below (AcceptOn, ConnectSocket, ReadFrom, WriteTo, CloseSocket), so
// each backend chooses how the bytes move. The default implementation here
// (readiness_streams.cc) waits for readiness and then calls accept4, connect,
// recv and send; UringLoop overrides it and submits those operations to the
// ring. Watch() remains for the loop's own eventfd and the signalfd.

#include <netinet/in.h>
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
  // Changes which readiness is watched. Hang-ups and errors are reported
  // even when neither is wanted. Loop thread only.
  virtual void SetInterest(int fd, bool want_read, bool want_write) = 0;
  // Readability always, writability as asked (for readiness-style callers).
  void SetWantWrite(int fd, bool want_write) { SetInterest(fd, true, want_write); }
  // Stops watching `fd` (before the caller closes it). Safe from inside the
  // fd's own callback. Loop thread only.
  virtual void Unwatch(int fd) = 0;

  // ---- Stream sockets, completion style (loop thread only) ----
  // A socket handed to these calls is owned by the loop from then on: the
  // caller ends it with CloseSocket(), never ::close(). After CloseSocket no
  // callback of that socket runs again. Callbacks never run inline inside
  // the call that started the operation.

  // Gets each accepted connection (non-blocking, close-on-exec), or a
  // negative errno when an accept failed (the listener keeps accepting).
  using OnAccepted = absl::AnyInvocable<void(int fd_or_negative_errno)>;
  // Gets 0 when connected, or the errno of the failed connect.
  using OnConnected = absl::AnyInvocable<void(int error)>;
  // Gets each chunk of received bytes (error 0), then an empty chunk with
  // error 0 at end of stream, or with the errno of a failed read; reading
  // stops after either. `bytes` is valid only during the call. Returning
  // false pauses reading (back-pressure) until ResumeReading().
  using OnRead = absl::AnyInvocable<bool(absl::string_view bytes, int error)>;
  // Gets 0 once every byte was written, or the errno of the failed write.
  using OnWritten = absl::AnyInvocable<void(int error)>;

  // Accepts connections on the listening socket `listen_fd` until closed.
  // An accept that fails for lack of descriptors or memory (EMFILE, ENFILE,
  // ENOBUFS, ENOMEM) is reported once, and accepting on that listener then
  // pauses for kAcceptBackoffNs: the pending connection would fail the same
  // way at once, and retrying at the loop's speed spins a core (and floods
  // the log) until a descriptor frees up.
  virtual void AcceptOn(int listen_fd, OnAccepted on_accepted);
  static constexpr env::DurationNs kAcceptBackoffNs = 100 * env::kMillisecond;
  // Whether a failed accept's errno means "out of descriptors or memory".
  static bool AcceptFailedForResources(int error);
  // Connects the non-blocking socket `fd` to `address`.
  virtual void ConnectSocket(int fd, const sockaddr_in& address, OnConnected on_connected);
  // Starts reading `fd` (connected). At most once per socket.
  virtual void ReadFrom(int fd, OnRead on_read);
  // Resumes reading after `on_read` returned false; no-op otherwise.
  virtual void ResumeReading(int fd);
  // Writes all of `bytes` to `fd`, resubmitting after short writes.
  // Precondition: no write of this socket is in flight (callers coalesce
  // what arrives meanwhile into the next write).
  virtual void WriteTo(int fd, std::string bytes, OnWritten on_written);
  // Ends every operation of the socket and closes it (once the kernel has
  // let go of its buffers). Safe from inside the socket's own callbacks.
  virtual void CloseSocket(int fd);

  // How this backend moves socket bytes, for logs and metrics: "epoll",
  // "io_uring" (operations on the ring) or "io_uring-poll" (fallback).
  virtual absl::string_view io_mode() const { return name(); }

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
  // Number of loop turns so far (one wait for events each).
  uint64_t turns() const { return turns_; }

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
    bool want_read = true;
    bool want_write = false;
    uint64_t generation = 0;
  };
  std::map<int, std::unique_ptr<WatchEntry>> watches_;
  std::vector<std::unique_ptr<WatchEntry>> graveyard_;
  uint64_t next_generation_ = 1;

 private:
  // Readiness-based stream sockets (readiness_streams.cc).
  struct Stream {
    uint64_t generation = 0;
    OnAccepted on_accepted;  // Set on listeners.
    bool accept_paused = false;  // Backing off after EMFILE and the like.
    OnConnected on_connected;
    bool connecting = false;
    OnRead on_read;
    bool reading = false;  // ReadFrom called and neither paused nor ended.
    std::string out;       // The write in progress, from out_offset.
    size_t out_offset = 0;
    OnWritten on_written;
    bool writing = false;
  };
  Stream* StreamOf(int fd);  // Creates and watches the stream on first use.
  void OnStreamReady(int fd, uint64_t generation, uint32_t events);
  void StreamWrite(int fd, Stream& stream);
  void StreamRead(int fd, Stream& stream);
  void UpdateStreamInterest(int fd, Stream& stream);
  // Stops watching the listener for kAcceptBackoffNs (AcceptOn).
  void PauseAccepting(int fd, Stream& stream);
  std::map<int, std::unique_ptr<Stream>> streams_;
  std::vector<std::unique_ptr<Stream>> closed_streams_;  // Freed at the end of the turn.
  uint64_t next_stream_generation_ = 1;
  std::unique_ptr<char[]> stream_read_buffer_;  // kStreamReadChunkBytes once used.

  void Turn(bool may_block);
  void RunTimers();
  void RunPosted();
  // Runs `task` on the next turn, which does not block. Loop thread only:
  // no lock and no eventfd write, unlike Post (completions known at once).
  void Defer(Task task) { deferred_.push_back(std::move(task)); }
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
  std::vector<Task> deferred_;  // Loop thread only.
  std::vector<absl::AnyInvocable<void()>> end_of_turn_hooks_;
  uint64_t tasks_run_ = 0;
  uint64_t turns_ = 0;
};



// Bytes a backend reads from a socket per receive operation.
inline constexpr size_t kStreamReadChunkBytes = 64 * 1024;

// Which backend to use.
// kUringPoll is io_uring with socket I/O forced to the readiness fallback
// (what a kernel without the ring's socket operations gets).
enum class BackendKind { kEpoll, kUring, kUringPoll };

// Parses "epoll", "uring" (also "io_uring") or "uring-poll". Errors:
// kInvalidArgument.
[[nodiscard]] absl::StatusOr<BackendKind> ParseBackendKind(absl::string_view text);

// Creates a loop of the given kind. Errors: the kernel refused (e.g.
// io_uring disabled): kUnavailable with the errno text.
[[nodiscard]] absl::StatusOr<std::unique_ptr<EventLoop>> MakeEventLoop(BackendKind kind);

}  // namespace kv::backend
