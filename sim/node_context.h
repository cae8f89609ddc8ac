#pragma once
// NodeContext: the simulator's record of one node's process. Layer: sim.
//
// Every event that belongs to a node (its timers, its executor tasks, message
// deliveries to it) is scheduled through its NodeContext, which
// - drops the event if the node crashed since it was scheduled (each crash
//   starts a new incarnation, and events remember the one they belong to);
// - defers the event to the end of a pause if the node is paused (a frozen
//   process: its timers fire late and its messages wait in the socket buffer),
//   keeping the order in which the events came due.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "node/env/types.h"
#include "sim/scheduler.h"

namespace kv::sim {

class NodeContext {
 public:
  using Callback = absl::AnyInvocable<void()>;

  NodeContext(Scheduler& scheduler, env::NodeId id) : scheduler_(scheduler), id_(id) {}
  NodeContext(const NodeContext&) = delete;
  NodeContext& operator=(const NodeContext&) = delete;
  ~NodeContext() { DropPosted(); }

  env::NodeId id() const { return id_; }
  bool up() const { return up_; }
  uint64_t incarnation() const { return incarnation_; }
  // True while the node is frozen (now < paused_until).
  bool paused() const { return scheduler_.now_ns() < paused_until_ns_; }

  // Schedules `callback` for this node `delay_ns` of true time from now.
  // Returns the scheduler event, which Scheduler::Cancel may cancel until it
  // runs (a pause defers the callback under a new event: cancelling the old
  // one then fails, and the callback still runs).
  // `callback` is any `void()` callable; it is stored in the scheduler event
  // itself (no AnyInvocable in between).
  template <typename F>
  EventId After(env::DurationNs delay_ns, uint64_t digest_tag, F&& callback) {
    return scheduler_.After(delay_ns, digest_tag,
                            NodeEvent<std::decay_t<F>>{this, incarnation_, digest_tag,
                                                       std::forward<F>(callback)});
  }

  // As After, with the callback the result of `make()`, built in the
  // scheduler event's slot: nothing it holds is moved on the way.
  template <typename Make>
  EventId AfterResultOf(env::DurationNs delay_ns, uint64_t digest_tag, Make&& make) {
    using F = std::invoke_result_t<Make&>;
    return scheduler_.AfterResultOf(delay_ns, digest_tag,
                                    [&] { return NodeEvent<F>{this, incarnation_, digest_tag, make()}; });
  }

  // Runs `body` as an event of this node: tasks it posts (Post) run when it
  // returns, before any other event. Deliveries, timers and posted-task
  // events all run through here.
  template <typename Body>
  void RunEvent(Body&& body) {
    ++event_depth_;
    body();
    --event_depth_;
    if (event_depth_ == 0 && posted_count_ != 0) RunPosted();
  }

  // The node's executor: inside one of its events, `task` runs when that
  // event returns (in post order, never inline); outside, as a zero-delay
  // event. Either way it runs at the current simulated time and is dropped
  // if the node crashes first. Running posted work within the event that
  // posted it, as a real event loop's turn does, saves the simulator a
  // scheduler event per post (a fifth of all events).
  // By rvalue reference: each AnyInvocable move is an indirect call, so the
  // task is moved only once, into the queue.
  void Post(Callback&& task) { ::new (PostSlot()) Callback(std::move(task)); }
  // As Post, for a task the caller builds at once in the returned
  // storage, where it is queued (SimExecutor's PostSlot): not even moved.
  void* PostSlot() {
    if (posted_count_ == posted_capacity_) [[unlikely]] AddTaskChunk();
    void* const storage = TaskStorageAt(posted_count_++);
    if (event_depth_ == 0 && !drain_scheduled_) [[unlikely]] ScheduleDrain();
    return storage;
  }

  // The process dies: every event scheduled for it so far is dropped.
  void Crash();
  // A new process starts (the host then builds fresh logic objects).
  void Restart();
  // Freezes the node until true time `until_ns`.
  void PauseUntil(env::TimeNs until_ns);

  // Events dropped because the node had crashed, and events deferred by pauses.
  uint64_t dropped_count() const { return dropped_count_; }
  uint64_t deferred_count() const { return deferred_count_; }

 private:
  // A scheduler event of this node: runs `callback` unless the node crashed
  // since (incarnation), deferring it while the node is paused.
  template <typename F>
  struct NodeEvent {
    NodeContext* node;
    uint64_t incarnation;
    uint64_t digest_tag;
    F callback;
    void operator()() { node->Dispatch(*this); }
  };
  enum class Admission { kRun, kDrop, kDefer };

  template <typename F>
  void Dispatch(NodeEvent<F>& event) {
    switch (Admit(event.incarnation)) {
      case Admission::kRun:
        RunEvent(event.callback);
        return;
      case Admission::kDrop:
        return;
      case Admission::kDefer:
        return Defer(event);
    }
  }
  // Moves `event`, the same event, to the end of the pause. Out of line and
  // cold (only pause faults defer): building an event here made every node
  // event's closure set up a larger frame.
  template <typename F>
  [[gnu::cold, gnu::noinline]] void Defer(NodeEvent<F>& event) {
    scheduler_.At(paused_until_ns_, event.digest_tag, std::move(event));
  }
  // Decides the fate of an event of `incarnation` that came due, counting
  // drops and deferrals.
  Admission Admit(uint64_t incarnation) {
    if (incarnation != incarnation_ || !up_) {
      ++dropped_count_;
      return Admission::kDrop;
    }
    if (paused()) {
      ++deferred_count_;
      return Admission::kDefer;
    }
    return Admission::kRun;
  }
  void RunPosted();
  // Outside an event: an empty event of this node, which runs the queue
  // when it returns (RunEvent), keeping post order across both paths.
  void ScheduleDrain();
  // Destroys the queued tasks unrun.
  void DropPosted();

  // Posted tasks wait in fixed-size chunks of raw storage that never move,
  // so that each is built where it is queued and runs there, even while it
  // posts more; the queue is always run to its end (RunPosted), so it is a
  // sequence from index 0, not a ring.
  struct alignas(Callback) TaskStorage {
    unsigned char bytes[sizeof(Callback)];
  };
  static constexpr int kTaskChunkBits = 6;
  static constexpr size_t kTaskChunkSize = size_t{1} << kTaskChunkBits;
  void* TaskStorageAt(size_t index) {
    return task_chunks_[index >> kTaskChunkBits][index & (kTaskChunkSize - 1)].bytes;
  }
  Callback& TaskAt(size_t index) { return *std::launder(static_cast<Callback*>(TaskStorageAt(index))); }
  void AddTaskChunk();

  Scheduler& scheduler_;
  env::NodeId id_;
  bool up_ = true;
  uint64_t incarnation_ = 1;
  env::TimeNs paused_until_ns_ = 0;
  uint64_t dropped_count_ = 0;
  uint64_t deferred_count_ = 0;
  int event_depth_ = 0;
  std::vector<std::unique_ptr<TaskStorage[]>> task_chunks_;
  size_t posted_count_ = 0;     // Tasks queued, at indices [0, posted_count_).
  size_t posted_capacity_ = 0;  // The chunks' room, in tasks.
  bool drain_scheduled_ = false;  // An event to run the queued tasks is pending.
};

}  // namespace kv::sim
