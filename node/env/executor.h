#pragma once
// Executor: the node's single logic thread, as a queue of work. Layer: node/env.
//
// This is the asynchronous-completion shape that storage and other slow work
// use: an operation that finishes elsewhere (a simulated disk after its
// latency; a RocksDB sync on a background thread) completes by posting its
// callback onto the node's executor, so the callback always runs on the logic
// thread and never inline within the call that started the operation.

#include <new>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "node/env/liveness.h"

namespace kv::env {

// A completion callback for an asynchronous operation. Called exactly once,
// on the logic thread, with OK or the operation's error.
using OnDone = absl::AnyInvocable<void(absl::Status status)>;

// Executor contract:
// - Post(task) runs `task` once, on the logic thread, after the current
//   callback returns; tasks posted from the logic thread run in post order.
// - A real backend's Post is additionally safe to call from any thread (that
//   is how background I/O completes onto the loop); the simulator's is called
//   from its one thread only.
// - Tasks posted to a node that crashes in the simulator are discarded with
//   the node: the node's state is gone, and so are its pending callbacks.
// - Every executor owns the liveness table (liveness.h) through which the
//   callbacks it runs, and those the clock and storage of the same node
//   run on its logic thread, find whether their object still exists: the
//   executor outlives every logic object and every callback it runs.
class Executor {
 public:
  using Task = absl::AnyInvocable<void()>;

  virtual ~Executor() = default;

  // Queues `task` to run on the logic thread.
  virtual void Post(Task task) = 0;

  // As Post(Task(task)) for any other `void()` callable (a lambda), with
  // the Task built where the executor queues it (PostSlot), if it offers
  // that: the Task is then neither moved nor destroyed empty, each of which
  // is an indirect call (the simulator posts tens of thousands of tasks a
  // simulated second).
  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, Task> && std::is_invocable_r_v<void, D&>>>
  void Post(F&& task) {
    if (void* const storage = PostSlot()) {
      ::new (storage) Task(std::forward<F>(task));
      return;
    }
    Post(Task(std::forward<F>(task)));
  }

  // Logic-thread objects register here for their callbacks' sake.
  LivenessTable& liveness() { return liveness_; }

 protected:
  // Queues a task and returns the uninitialized storage of its Task, which
  // the caller constructs there at once (before any other call to this
  // executor); or returns null, queuing nothing, if the executor does not
  // keep its tasks that way (the default: Post(f) then calls Post(Task)).
  // Called only from the logic thread, like the simulator's Post.
  virtual void* PostSlot() { return nullptr; }

 private:
  LivenessTable liveness_;
};

}  // namespace kv::env
