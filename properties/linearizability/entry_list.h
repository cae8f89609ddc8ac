#pragma once
// The call and return events of one partition, in a doubly linked list sorted
// by time, with O(1) removal and restoration of an operation (Lowe's
// "lift"/"unlift", as in Porcupine's checker.go). The search removes an
// operation when it linearizes it and restores it when it backtracks, always
// in last-in, first-out order. Layer: properties/.

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
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

  // entries_[0] is the head sentinel.
  std::vector<Entry> entries_;
  std::vector<int32_t> call_entry_of_op_;
  int32_t size_ = 0;
};

}  // namespace kv::properties
