#include "properties/linearizability/entry_list.h"

#include <algorithm>
#include <tuple>

#include "node/env/check.h"

namespace kv::properties {

EntryList::EntryList(absl::Span<const PartitionOp> ops) {
  KV_CHECK_LT(ops.size(), size_t{1} << 30);
  const int32_t op_count = static_cast<int32_t>(ops.size());
  // (time, 0 for call / 1 for return, op index): a total order, see header.
  struct Event {
    int64_t time_ns;
    int32_t is_return;
    int32_t op_index;
  };
  std::vector<Event> events;
  events.reserve(2 * ops.size());
  for (int32_t op_index = 0; op_index < op_count; ++op_index) {
    KV_CHECK_LE(ops[op_index].call_ns, ops[op_index].return_ns);
    events.push_back({ops[op_index].call_ns, 0, op_index});
    events.push_back({ops[op_index].return_ns, 1, op_index});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.time_ns, a.is_return, a.op_index) <
           std::tie(b.time_ns, b.is_return, b.op_index);
  });

  entries_.resize(events.size() + 1);
  call_entry_of_op_.assign(ops.size(), kEnd);
  std::vector<int32_t> return_entry_of_op(ops.size(), kEnd);
  int32_t previous = kHead;
  for (size_t position = 0; position < events.size(); ++position) {
    const int32_t id = static_cast<int32_t>(position) + 1;
    Entry& entry = entries_[id];
    entry.op_index = events[position].op_index;
    entry.is_call = events[position].is_return == 0;
    entry.prev = previous;
    entries_[previous].next = id;
    (entry.is_call ? call_entry_of_op_ : return_entry_of_op)[entry.op_index] = id;
    previous = id;
  }
  entries_[previous].next = kEnd;
  for (int32_t op_index = 0; op_index < op_count; ++op_index) {
    const int32_t call = call_entry_of_op_[op_index];
    const int32_t ret = return_entry_of_op[op_index];
    // The sort puts a call before its own return even at equal times.
    KV_DCHECK_LT(call, ret);
    entries_[call].match = ret;
    entries_[ret].match = call;
  }
  size_ = static_cast<int32_t>(events.size());
}

void EntryList::Remove(int32_t entry) {
  Entry& removed = entries_[entry];
  entries_[removed.prev].next = removed.next;
  if (removed.next != kEnd) entries_[removed.next].prev = removed.prev;
  --size_;
}

void EntryList::Restore(int32_t entry) {
  // The removed entry still remembers its neighbours; LIFO order guarantees
  // they are the neighbours it must return between.
  Entry& restored = entries_[entry];
  entries_[restored.prev].next = entry;
  if (restored.next != kEnd) entries_[restored.next].prev = entry;
  ++size_;
}

void EntryList::Lift(int32_t call_entry) {
  KV_DCHECK(entries_[call_entry].is_call);
  Remove(call_entry);
  Remove(entries_[call_entry].match);
  KV_DCHECK_GE(size_, 0);
}

void EntryList::Unlift(int32_t call_entry) {
  KV_DCHECK(entries_[call_entry].is_call);
  // Reverse of Lift: the return went out last, so it comes back first.
  Restore(entries_[call_entry].match);
  Restore(call_entry);
}

}  // namespace kv::properties
