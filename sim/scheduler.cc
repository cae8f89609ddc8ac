#include "sim/scheduler.h"

#include <algorithm>
#include <utility>

#include "node/env/check.h"

namespace kv::sim {
Scheduler::Scheduler()
    : near_buffer_(std::make_unique<HeapEntry[]>(kNearBufferSize)),
      near_first_(near_buffer_.get()),
      near_end_(near_buffer_.get()) {
  far_.reserve(1024);
  AddChunk();
}

void Scheduler::AddChunk() {
  KV_CHECK_EQ(free_count_, 0u);  // Only when every slot is taken.
  const uint64_t first = uint64_t{chunks_.size()} << kChunkBits;
  KV_CHECK_LE(first + kChunkSize, kMaxSlots);
  chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
  slot_count_ = first + kChunkSize;
  // Room for all the slots there now are, each of which may be freed.
  // Doubled rather than fitted, so that adding chunks costs linear time in
  // all (a scheduler with 65,536 events pending has 256 chunks).
  if (free_slots_.size() < first + kChunkSize) {
    free_slots_.resize(std::max<size_t>(first + kChunkSize, 2 * free_slots_.size()));
  }
  // In reverse, so that slots are handed out in ascending order.
  for (uint64_t slot = first + kChunkSize; slot > first; --slot) {
    free_slots_[free_count_++] = static_cast<uint32_t>(slot - 1);
  }
}

// Inlined into the event loop, which frees a slot per event (as are RunFirst
// and PopTop below): a call per event and per slot costs more than its body.
// The caller passes the slot it already holds: after a callback ran, the
// chunk table may have grown, and finding the slot again cost a reload.
// Every caller has just cleared or tested `pending`, so it is not stored
// again here, and has destroyed the callback (an event that ran) or found
// it destroyed (Cancel nulls a cancelled event's), so it is not tested.
[[gnu::always_inline]] inline void Scheduler::FreeSlot(Slot& s, uint32_t slot) {
  // Wraps at 2^32 without skipping zero: an id's low half (slot + 1) is
  // never zero, so no generation makes a null id (MakeId).
  ++s.generation;
  // In range: the slots in free_slots_ are distinct, and `slot` is not
  // among them yet.
  free_slots_[free_count_++] = slot;
}

void Scheduler::MaybeCompactHeap() {
  if (cancelled_in_heap_ < kCompactMinCancelled || 2 * cancelled_in_heap_ < heap_size()) return;
  CompactNearRun();
  CompactHeap(far_);
  // The staged events have no order to restore: a flush that moves none
  // only drops the cancelled ones.
  if (!staged_.empty()) FlushStaged(staged_min_time_ns_ - kStageHorizonNs);
  KV_DCHECK_EQ(cancelled_in_heap_, 0u);
}

void Scheduler::Stage(const HeapEntry& entry) {
  staged_.push_back(entry);
  if (entry.time_ns < staged_min_time_ns_) staged_min_time_ns_ = entry.time_ns;
}

void Scheduler::FlushStaged(env::TimeNs time_ns) {
  // Saturating: a time near the end of time moves every staged event.
  const env::TimeNs moved_before_ns =
      time_ns > INT64_MAX - kStageHorizonNs ? INT64_MAX : time_ns + kStageHorizonNs;
  env::TimeNs kept_min_ns = INT64_MAX;
  size_t kept = 0;
  for (const HeapEntry& entry : staged_) {
    Slot& s = slot_at(entry.slot());
    if (!s.pending) {
      --cancelled_in_heap_;
      FreeSlot(s, entry.slot());
    } else if (entry.time_ns < moved_before_ns) {
      far_.push_back(entry);
      SiftUp(far_.data(), far_.size() - 1, entry);
    } else {
      staged_[kept++] = entry;
      if (entry.time_ns < kept_min_ns) kept_min_ns = entry.time_ns;
    }
  }
  staged_.resize(kept);
  staged_min_time_ns_ = kept_min_ns;
}

void Scheduler::CompactHeap(std::vector<HeapEntry>& heap) {
  size_t kept = 0;
  for (const HeapEntry& entry : heap) {
    Slot& s = slot_at(entry.slot());
    if (s.pending) {
      heap[kept++] = entry;
    } else {
      FreeSlot(s, entry.slot());
    }
  }
  cancelled_in_heap_ -= heap.size() - kept;
  heap.resize(kept);
  std::make_heap(heap.begin(), heap.end(), Later());
}

Scheduler::HeapEntry* Scheduler::MoveNearRunToStart() {
  HeapEntry* const start = near_buffer_.get();
  HeapEntry* const end = std::copy(near_first_, near_end_, start);
  near_first_ = start;
  near_end_ = end;
  return end;
}

// As CompactHeap, for the near run, whose order needs no restoring.
void Scheduler::CompactNearRun() {
  HeapEntry* kept = near_buffer_.get();
  for (HeapEntry* entry = near_first_; entry != near_end_; ++entry) {
    Slot& s = slot_at(entry->slot());
    if (s.pending) {
      *kept++ = *entry;
    } else {
      FreeSlot(s, entry->slot());
      --cancelled_in_heap_;
    }
  }
  near_first_ = near_buffer_.get();
  near_end_ = kept;
}

[[gnu::always_inline]] inline Scheduler::HeapEntry Scheduler::PopTop(std::vector<HeapEntry>& heap) {
  HeapEntry* const data = heap.data();
  const HeapEntry top = data[0];
  const size_t size = heap.size() - 1;  // After the pop.
  const HeapEntry last = data[size];
  heap.pop_back();
  if (size == 0) return top;
  // Floyd's method: the hole left at the root sinks along the earlier child
  // to the bottom, then `last` climbs from there. `last` is a leaf, so
  // usually late, and belongs near the bottom: one comparison per level on
  // the way down and few on the way up, where sifting it down from the root
  // would take two per level.
  // Pointers rather than indices: a step is then a few instructions fewer.
  // The entry at index i has children at 2i + 1 and 2i + 2; both exist
  // while i < (size - 1) / 2.
  HeapEntry* const two_children_end = data + (size - 1) / 2;
  HeapEntry* hole = data;
  while (hole < two_children_end) {
    HeapEntry* child = hole + (hole - data) + 1;
    child += Later()(child[0], child[1]);
    *hole = *child;
    hole = child;
  }
  // From two_children_end on, only the entry at it may have a child: the
  // last entry, when size is even.
  if (size % 2 == 0 && hole == two_children_end) {
    *hole = data[size - 1];
    hole = data + (size - 1);
  }
  SiftUp(data, static_cast<size_t>(hole - data), last);
  return top;
}

void Scheduler::ObserveEvent() {
  if (trail_ != nullptr) RecordTrailPoint();
  if (after_event_hook_) after_event_hook_();
}

void Scheduler::RecordTrailPoint() {
  trail_->push_back(TrailPoint{events_processed_, now_ns_, digest_.value(),
                               trail_tally_ ? trail_tally_->draws : 0,
                               trail_tally_ ? trail_tally_->digest : 0});
}

bool Scheduler::RunOne() {
  for (Queue queue = NextQueueToRun(); queue != Queue::kNone; queue = NextQueueToRun()) {
    if (RunFirst(queue)) return true;
  }
  return false;
}

[[gnu::always_inline]] inline bool Scheduler::RunFirst(Queue queue) {
  const HeapEntry entry = queue == Queue::kNear ? *near_first_++ : PopTop(far_);
  const uint32_t slot = entry.slot();
  Slot& s = slot_at(slot);
  if (!s.pending) {  // Cancelled.
    --cancelled_in_heap_;
    FreeSlot(s, slot);
    return false;
  }
  KV_DCHECK_GE(entry.time_ns, now_ns_);
  now_ns_ = entry.time_ns;
  digest_.Fold(static_cast<uint64_t>(entry.time_ns) ^ (s.digest_tag * 0x9e3779b97f4a7c15ULL));
  // The callback runs in its slot (slots never move); the slot is no
  // longer pending, so cancelling this event from inside fails, and it is
  // freed only once the event is over. It is destroyed as soon as it
  // returns, before the hook: the hook only reads state, and what a
  // closure owns (message bytes, a timer's callback) is not that state.
  s.pending = false;
  ++events_processed_;
  s.callback.RunOnce();
  if (observed_) [[unlikely]] ObserveEvent();
  FreeSlot(s, slot);
  return true;
}

void Scheduler::RunUntil(env::TimeNs time_ns) {
  while (events_processed_ < event_limit_) {
    const Queue queue = NextQueueToRun();
    if (queue == Queue::kNone) break;
    // A cancelled first entry is dropped whatever its time, so that its
    // time does not count; a live one runs if it is due.
    const HeapEntry& first = FirstOf(queue);
    if (slot_at(first.slot()).pending && first.time_ns > time_ns) break;
    RunFirst(queue);
  }
  if (!stopped() && time_ns > now_ns_) now_ns_ = time_ns;
}

}  // namespace kv::sim
