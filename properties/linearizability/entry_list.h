#pragma once
// The call and return events of one partition, in a doubly linked list sorted
// by time, with O(1) removal and restoration of an operation (Lowe's
// "lift"/"unlift", as in Porcupine's checker.go). The search removes an
// operation when it linearizes it and restores it when it backtracks, always
// in last-in, first-out order. Layer: properties/.

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "node/env/check.h"
#include "properties/linearizability/partition.h"

namespace kv::properties {

class EntryList {
 public:
  // Entry ids are 1..2n; kEnd marks the end of the list.
  static constexpr int32_t kEnd = -1;

  // Builds the list for `ops`. Events are ordered by time; at equal times a
  // call comes before a return, so operations whose intervals touch count as
  // concurrent (the permissive reading of a coarse clock); remaining ties go
  // by operation index, so the order is total. Precondition: ops.size() <
  // 2^30 and call_ns <= return_ns for each.
  explicit EntryList(absl::Span<const PartitionOp> ops);

  // The first entry still in the list, or kEnd.
  int32_t First() const { return entries_[kHead].next; }
  // The entry after `entry`, or kEnd. Precondition: `entry` is in the list.
  int32_t Next(int32_t entry) const { return entries_[entry].next; }
  bool IsCall(int32_t entry) const { return entries_[entry].is_call; }
  // The partition op index an entry belongs to.
  int32_t OpIndex(int32_t entry) const { return entries_[entry].op_index; }
  // The call entry of an op.
  int32_t CallEntry(int32_t op_index) const { return call_entry_of_op_[op_index]; }

  // Removes the call entry `call_entry` and its matching return entry.
  // Precondition: both are in the list.
  void Lift(int32_t call_entry);
  // Restores what Lift(call_entry) removed. Precondition: every lift done
  // after it has been undone (last in, first out).
  void Unlift(int32_t call_entry);

  // Number of entries still in the list (for checks and tests).
  int32_t size() const { return size_; }

 private:
  static constexpr int32_t kHead = 0;

  struct Entry {
    int32_t prev = kEnd;
    int32_t next = kEnd;
    // The other entry of the same operation.
    int32_t match = kEnd;
    int32_t op_index = -1;
    bool is_call = false;
  };

  void Remove(int32_t entry);
  void Restore(int32_t entry);
  // Links entries_ (sized already) in header order: a merge of the calls,
  // call_at(0..op_count), and `returns`, each in (time, op index) order.
  template <typename CallAt, typename Events>
  void Link(size_t op_count, CallAt call_at, const Events& returns);

  // entries_[0] is the head sentinel.
  std::vector<Entry> entries_;
  std::vector<int32_t> call_entry_of_op_;
  int32_t size_ = 0;
};

// Inline: the search lifts an op at every step it takes.
inline void EntryList::Remove(int32_t entry) {
  Entry& removed = entries_[entry];
  entries_[removed.prev].next = removed.next;
  if (removed.next != kEnd) entries_[removed.next].prev = removed.prev;
  --size_;
}

inline void EntryList::Restore(int32_t entry) {
  // The removed entry still remembers its neighbours; LIFO order guarantees
  // they are the neighbours it must return between.
  Entry& restored = entries_[entry];
  entries_[restored.prev].next = entry;
  if (restored.next != kEnd) entries_[restored.next].prev = entry;
  ++size_;
}

inline void EntryList::Lift(int32_t call_entry) {
  KV_DCHECK(entries_[call_entry].is_call);
  Remove(call_entry);
  Remove(entries_[call_entry].match);
  KV_DCHECK_GE(size_, 0);
}

inline void EntryList::Unlift(int32_t call_entry) {
  KV_DCHECK(entries_[call_entry].is_call);
  // Reverse of Lift: the return went out last, so it comes back first.
  Restore(entries_[call_entry].match);
  Restore(call_entry);
}

}  // namespace kv::properties
