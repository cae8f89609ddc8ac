#pragma once
// Scheduler: the simulator's single-threaded discrete-event loop. Layer: sim.
//
// Events are ordered by (time, sequence number): the sequence number is taken
// when an event is scheduled, so events at the same instant run in the order
// they were scheduled, and the order never depends on addresses or hashing.
// Every processed event folds (time, its digest tag) into the run digest; the
// same seed and options therefore always print the same digest.
//
// Time here is the simulator's "true" time. Nodes see it through their own
// SimClock, which may be offset and drift.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "node/env/check.h"
#include "node/env/types.h"
#include "sim/determinism_trail.h"
#include "sim/digest.h"
#include "sim/event_callback.h"

namespace kv::sim {

namespace trace {
class Tracer;
}

// Names a scheduled event: its slot and the slot's generation, packed so that
// a stale id (the event ran or was cancelled, the slot was reused) is
// recognised and ignored. The zero value names no event.
struct EventId {
  uint64_t value = 0;
  bool valid() const { return value != 0; }
  friend bool operator==(EventId, EventId) = default;
};

class Scheduler {
 public:
  // Move-only; the simulator's closures fit inline (no allocation per event).
  using Callback = EventCallback;
  // An EventCallback too: the scenarios' hooks capture a few references,
  // which an AnyInvocable keeps on the heap, one indirection more per event.
  using AfterEventHook = EventCallback;

  Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Current simulated time in nanoseconds. Starts at 0, never decreases.
  env::TimeNs now_ns() const { return now_ns_; }

  // Schedules `callback` at absolute time `time_ns` (clamped to now). The
  // `digest_tag` describes the event for the run digest (for example a hash of
  // the message it delivers); pass a value that is deterministic.
  // `callback` is any `void()` callable (or a Callback); it is built straight
  // into the event's slot, where it also runs, so an event's closure is
  // never moved.
  template <typename F>
  EventId At(env::TimeNs time_ns, uint64_t digest_tag, F&& callback) {
    if (time_ns < now_ns_) time_ns = now_ns_;
    return Schedule(time_ns, time_ns - now_ns_, digest_tag, std::forward<F>(callback));
  }

  // Schedules `callback` `delay_ns` from now (negative delays count as 0).
  template <typename F>
  EventId After(env::DurationNs delay_ns, uint64_t digest_tag, F&& callback) {
    if (delay_ns < 0) delay_ns = 0;
    return Schedule(now_ns_ + delay_ns, delay_ns, digest_tag, std::forward<F>(callback));
  }

  // As After, with the callback the result of `make()`, built in its slot
  // (EventCallback::EmplaceResultOf).
  template <typename Make>
  EventId AfterResultOf(env::DurationNs delay_ns, uint64_t digest_tag, Make&& make) {
    if (delay_ns < 0) delay_ns = 0;
    const uint32_t slot = AllocateSlot();
    Slot& s = slot_at(slot);
    s.callback.EmplaceResultOf(make);  // Never null: `make()` is not a Callback.
    return Push(now_ns_ + delay_ns, delay_ns, digest_tag, slot, s);
  }

  // Cancels a pending event. Returns whether it was pending. Cancelled events
  // do not run and are not folded into the digest.
  // Inline: a node's timers are cancelled through it (SimClock::Cancel)
  // tens of thousands of times a simulated second.
  bool Cancel(EventId id) {
    if (!id.valid()) return false;
    const uint32_t slot = SlotOf(id);
    if (slot >= slot_count_) return false;
    Slot& s = slot_at(slot);
    if (!s.pending || s.generation != GenerationOf(id)) return false;
    // The heap entry stays behind and is skipped when it surfaces; the slot
    // is not reused until then, so the entry cannot run someone else's
    // callback.
    s.pending = false;
    s.callback = nullptr;
    ++cancelled_in_heap_;
    if (cancelled_in_heap_ >= kCompactMinCancelled) [[unlikely]] MaybeCompactHeap();
    return true;
  }

  // Runs the next event, advancing time to it. Returns false if none is left.
  bool RunOne();

  // Runs every event with time <= `time_ns`, then sets now to `time_ns`
  // (if later). Events scheduled during the run at or before the limit run too.
  void RunUntil(env::TimeNs time_ns);

  // Stops RunUntil after the current event (used when a check fails).
  void Stop() { event_limit_ = 0; }
  // Stops RunUntil once `max_events` events have run in all, as a Stop()
  // from the after-event hook would after the event that reaches it, but
  // without a hook call per event (a run's event budget). A limit only
  // ever lowers: neither a higher one nor a later call undoes a Stop().
  void SetEventLimit(uint64_t max_events) {
    if (max_events < event_limit_) event_limit_ = max_events;
  }
  bool stopped() const { return events_processed_ >= event_limit_; }

  // Runs `hook` after every processed event (invariant checks). May be empty.
  void SetAfterEventHook(AfterEventHook hook) {
    after_event_hook_ = std::move(hook);
    UpdateObserved();
  }

  // Folds an extra value into the run digest (e.g. a draw or an outcome).
  void FoldDigest(uint64_t value) { digest_.Fold(value); }

  // The tracer of a traced run (kvsim replay), or null. Simulator parts and
  // harnesses report to it only when it is set, so an untraced run pays one
  // pointer test per hook. Tracing observes only: it never changes the run.
  trace::Tracer* tracer() const { return tracer_; }
  void set_tracer(trace::Tracer* tracer) { tracer_ = tracer; }

  uint64_t digest() const { return digest_.value(); }

  // Appends a TrailPoint to `*trail` after every event, with the draw tally
  // read from `*tally` (either may be null). Both must outlive the runs.
  void RecordTrail(std::vector<TrailPoint>* trail, const env::DrawTally* tally) {
    trail_ = trail;
    trail_tally_ = tally;
    UpdateObserved();
  }
  uint64_t events_processed() const { return events_processed_; }
  size_t pending_count() const { return heap_size() - cancelled_in_heap_; }
  // Queued entries (the heaps' and the staged ones), cancelled ones not yet
  // dropped included (for tests).
  size_t heap_size() const {
    return static_cast<size_t>(near_end_ - near_first_) + far_.size() + staged_.size();
  }

 private:
  // A heap entry is two words: the time, and the sequence number with the
  // slot in its low kSlotBits bits. Sequence numbers are distinct, so
  // ordering by the packed word orders by sequence, and the smaller entry
  // makes every heap step cheaper.
  static constexpr int kSlotBits = 24;
  static constexpr uint64_t kMaxSlots = uint64_t{1} << kSlotBits;
  static constexpr uint64_t kMaxSequence = uint64_t{1} << (64 - kSlotBits);
  struct HeapEntry {
    env::TimeNs time_ns;
    uint64_t sequence_and_slot;
    uint32_t slot() const { return static_cast<uint32_t>(sequence_and_slot & (kMaxSlots - 1)); }
  };
  struct Slot {
    Callback callback;
    uint64_t digest_tag = 0;
    uint32_t generation = 1;
    bool pending = false;
  };
  // slot_at indexes a chunk once per event or more: a power-of-two size
  // makes that a shift (EventCallback::kInlineBytes is chosen for it).
  static_assert((sizeof(Slot) & (sizeof(Slot) - 1)) == 0);

  // The heap's order: a function object (not a function pointer) so that
  // the heap algorithms inline it.
  struct Later {
    bool operator()(const HeapEntry& a, const HeapEntry& b) const {
      if (a.time_ns != b.time_ns) return a.time_ns > b.time_ns;
      return a.sequence_and_slot > b.sequence_and_slot;
    }
  };

  // Slots live in fixed-size chunks that never move, so an event's callback
  // runs in its slot even when it schedules events that add slots.
  static constexpr int kChunkBits = 8;
  static constexpr uint32_t kChunkSize = uint32_t{1} << kChunkBits;
  Slot& slot_at(uint32_t slot) { return chunks_[slot >> kChunkBits][slot & (kChunkSize - 1)]; }

  uint32_t AllocateSlot() {
    if (free_count_ == 0) [[unlikely]] AddChunk();
    return free_slots_[--free_count_];
  }
  void AddChunk();
  // At and After: builds `callback` in a free slot and queues it at
  // `time_ns`, `delay_ns` (>= 0) from now.
  template <typename F>
  EventId Schedule(env::TimeNs time_ns, env::DurationNs delay_ns, uint64_t digest_tag, F&& callback) {
    const uint32_t slot = AllocateSlot();
    Slot& s = slot_at(slot);
    s.callback.Emplace(std::forward<F>(callback));
    // Only a Callback can be null; any other callable becomes a non-null one.
    if constexpr (std::is_same_v<std::decay_t<F>, Callback>) KV_DCHECK(s.callback != nullptr);
    return Push(time_ns, delay_ns, digest_tag, slot, s);
  }
  // Queues the event whose callback is in `slot`, due at `time_ns`, which
  // is `delay_ns` >= 0 from now (the callers have both: At clamps a time,
  // After a delay, and neither is clamped twice). Inline (in every At): a
  // call per scheduled event cost a fifth of its instructions.
  // `s` is slot `slot`, passed on by the caller, as building the callback
  // may call out (an AnyInvocable moves through an indirect call), after
  // which finding the slot again would reload the chunk table. Forced
  // inline: with the staging branch GCC stopped inlining it on its own.
  [[gnu::always_inline]] EventId Push(env::TimeNs time_ns, env::DurationNs delay_ns, uint64_t digest_tag,
                                      uint32_t slot, Slot& s) {
    KV_DCHECK_GE(delay_ns, 0);
    s.digest_tag = digest_tag;
    s.pending = true;
    // The sequence number, already in place above the slot bits: one add
    // per event, whose carry out of the word is the check that sequence
    // numbers (1 to kMaxSequence - 2) are not exhausted.
    const uint64_t sequence_bits = next_sequence_bits_;
    const bool exhausted = __builtin_add_overflow(sequence_bits, kMaxSlots, &next_sequence_bits_);
    KV_CHECK(!exhausted);
    const HeapEntry entry{time_ns, sequence_bits | slot};
    if (delay_ns >= kStageHorizonNs) [[unlikely]] {
      Stage(entry);
    } else if (delay_ns < kNearHorizonNs && near_end_ - near_first_ < kNearMax) {
      PushNear(entry);
    } else {
      far_.push_back(entry);
      SiftUp(far_.data(), far_.size() - 1, entry);
    }
    return MakeId(slot, s.generation);
  }
  // Queues `entry` (due kStageHorizonNs or more from now) in staged_. Out
  // of line, so that Push, inlined at every At, stays small.
  [[gnu::noinline]] void Stage(const HeapEntry& entry);
  // Never null, whatever the generation: slot + 1 > 0 fills the low half.
  static_assert(kMaxSlots < (uint64_t{1} << 32));
  static EventId MakeId(uint32_t slot, uint32_t generation) {
    return EventId{(static_cast<uint64_t>(generation) << 32) | (static_cast<uint64_t>(slot) + 1)};
  }
  // The inverses of MakeId.
  static uint32_t SlotOf(EventId id) { return static_cast<uint32_t>(id.value & 0xffffffffu) - 1; }
  static uint32_t GenerationOf(EventId id) { return static_cast<uint32_t>(id.value >> 32); }
  // MaybeCompactHeap does nothing with fewer cancelled entries than this.
  static constexpr size_t kCompactMinCancelled = 1024;
  // Drops cancelled entries from the heap once they are most of it, so that
  // cancelled timers (a client's attempt timeout after a prompt reply) do
  // not make every push and pop deeper. Entries have distinct (time,
  // sequence) keys, so the order events run in does not change.
  void MaybeCompactHeap();
  // Frees slot `s`, numbered `slot`, once its event ran or was dropped
  // as cancelled. Precondition: not pending, and the callback is null.
  void FreeSlot(Slot& s, uint32_t slot);

  env::TimeNs now_ns_ = 0;
  // The next sequence number, shifted left by kSlotBits (the first is 1).
  uint64_t next_sequence_bits_ = kMaxSlots;
  uint64_t events_processed_ = 0;
  size_t cancelled_in_heap_ = 0;
  // RunUntil runs events while events_processed_ is below this: Stop()
  // sets it to 0, SetEventLimit lowers it. One comparison per event tests
  // both the budget and a stop.
  uint64_t event_limit_ = UINT64_MAX;
  Digest digest_;
  // Pending events in two queues by (time, sequence) via Later: events due
  // within kNearHorizonNs of when they were scheduled (message deliveries,
  // disk syncs), up to kNearMax of them, in the near run, and the rest
  // (timers, and near events past kNearMax) in the min-heap far_. Any event
  // may be in either: the next event is the earlier of the two queues'
  // first, so the order is that of one heap. Few near events are pending
  // at a time (at most 18 in the standard run, 5 on average), and a new one
  // is due after nearly all of them, so they are kept sorted: taking the
  // first is a read and an increment, where a heap's pop walked down and up
  // the heap, and inserting one moves only the entries due after it (about
  // one). kNearMax bounds those moves. (With thousands of near events
  // pending at random times, the scheduler benchmark's 1,024 and 65,536,
  // an event costs about 10% more instructions than with a near heap; with
  // 16, 10% fewer.)
  static constexpr env::DurationNs kNearHorizonNs = 1'000'000;
  static constexpr std::ptrdiff_t kNearMax = 16;
  // The near run is [near_first_, near_end_) within near_buffer_; it grows
  // at its end and shrinks at its start, so it drifts towards the buffer's
  // end, and moves back to its start (at most kNearMax entries) when it
  // reaches it.
  static constexpr std::ptrdiff_t kNearBufferSize = 8 * kNearMax;
  std::unique_ptr<HeapEntry[]> near_buffer_;
  HeapEntry* near_first_;
  HeapEntry* near_end_;
  // Inserts `entry` into the near run (not full). Inline: it runs once per
  // delivery.
  [[gnu::always_inline]] void PushNear(const HeapEntry& entry) {
    HeapEntry* end = near_end_;
    if (end == near_buffer_.get() + kNearBufferSize) [[unlikely]] end = MoveNearRunToStart();
    HeapEntry* hole = end;
    while (hole != near_first_ && Later()(hole[-1], entry)) {
      *hole = hole[-1];
      --hole;
    }
    *hole = entry;
    near_end_ = end + 1;
  }
  // Moves the near run to the start of near_buffer_; returns its new end.
  [[gnu::noinline]] HeapEntry* MoveNearRunToStart();
  std::vector<HeapEntry> far_;
  // Events due kStageHorizonNs or more after they were scheduled (a
  // client's attempt timeout), unordered: most are cancelled long before
  // they are due, and one cancelled here is dropped by a scan instead of
  // climbing into the far heap and sinking out of it again (a dead entry
  // also deepened the heap for every other event). Invariant: each has
  // time >= staged_min_time_ns_, and no event with a later (time,
  // sequence) than a staged one runs before the staged one is moved into
  // far_ (FlushStaged), which NextQueueToRun does before the queues' first
  // could reach staged_min_time_ns_. 16 ms stages an attempt timeout
  // (100 ms) but not a tick (10 ms) or a sync timer, which always run; in
  // the standard run 8 and 64 ms cost more.
  static constexpr env::DurationNs kStageHorizonNs = 16'000'000;
  static_assert(kStageHorizonNs > kNearHorizonNs);
  std::vector<HeapEntry> staged_;
  env::TimeNs staged_min_time_ns_ = INT64_MAX;  // INT64_MAX if none is staged.
  // Moves the staged events due before `time_ns` + kStageHorizonNs into
  // far_, and drops the cancelled ones (all of them, whatever their time).
  void FlushStaged(env::TimeNs time_ns);
  // Which queue holds the event that runs next.
  enum class Queue { kNone, kNear, kFar };
  // NextQueue, after moving into far_ the staged events that could run
  // before its first (or any, when both queues are empty).
  Queue NextQueueToRun() {
    while (true) {
      const Queue queue = NextQueue();
      if (queue != Queue::kNone && FirstOf(queue).time_ns < staged_min_time_ns_) [[likely]] return queue;
      if (queue == Queue::kNone && staged_.empty()) return Queue::kNone;
      FlushStaged(queue != Queue::kNone ? FirstOf(queue).time_ns : staged_min_time_ns_);
    }
  }
  // The queue whose first event is the earlier; kNone if both are empty.
  Queue NextQueue() const {
    if (near_first_ == near_end_) return far_.empty() ? Queue::kNone : Queue::kFar;
    if (far_.empty()) return Queue::kNear;
    return Later()(*near_first_, far_.front()) ? Queue::kFar : Queue::kNear;
  }
  // The first entry of `queue` (not kNone, not empty).
  const HeapEntry& FirstOf(Queue queue) const { return queue == Queue::kNear ? *near_first_ : far_.front(); }
  // The heaps' own operations, in the order Later: equivalent to
  // std::push_heap and std::pop_heap (any valid heap pops the same order,
  // since keys are distinct), with less index arithmetic per level.
  // Moves the hole at `hole` up until `entry`, which then fills it, is no
  // earlier than its parent. Indices are unsigned, so halving is one shift.
  static void SiftUp(HeapEntry* data, size_t hole, HeapEntry entry) {
    while (hole > 0) {
      const size_t parent = (hole - 1) / 2;
      if (!Later()(data[parent], entry)) break;
      data[hole] = data[parent];
      hole = parent;
    }
    data[hole] = entry;
  }
  static HeapEntry PopTop(std::vector<HeapEntry>& heap);
  // Takes the first entry of `queue` and runs its event, or drops it if
  // it was cancelled. Returns whether it ran.
  bool RunFirst(Queue queue);
  // Whether anything watches each event (a trail or an after-event hook):
  // one test per event, where an untraced run tested for each.
  void UpdateObserved() { observed_ = trail_ != nullptr || after_event_hook_ != nullptr; }
  // Records the trail point and runs the hook after an event, those set.
  // Out of line: only determinism checks and traced runs watch events.
  [[gnu::noinline]] void ObserveEvent();
  // Appends the point after the event just run to trail_ (out of line: only
  // determinism checks record a trail).
  [[gnu::noinline]] void RecordTrailPoint();
  void CompactHeap(std::vector<HeapEntry>& heap);
  void CompactNearRun();
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  // The slots there are, chunks_.size() << kChunkBits, for Cancel's test of
  // an id without deriving it from the vector's ends.
  uint64_t slot_count_ = 0;
  // The free slots, free_slots_[0, free_count_), taken from the end. A
  // free slot's callback is null (FreeSlot and AddChunk), which Schedule
  // and AfterResultOf rely on to fill it without a reset. Room for every
  // slot (AddChunk), so that freeing one, once per event, needs no test.
  std::vector<uint32_t> free_slots_;  // Its size is its room; it doubles.
  uint32_t free_count_ = 0;
  AfterEventHook after_event_hook_;
  bool observed_ = false;  // trail_ or after_event_hook_ is set.
  std::vector<TrailPoint>* trail_ = nullptr;
  const env::DrawTally* trail_tally_ = nullptr;
  trace::Tracer* tracer_ = nullptr;  // Not owned.
};

}  // namespace kv::sim
