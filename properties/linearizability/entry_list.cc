#include "properties/linearizability/entry_list.h"

#include <algorithm>
#include <tuple>

#include "node/env/check.h"
#include "properties/linearizability/nearly_sorted.h"

namespace kv::properties {

EntryList::EntryList(absl::Span<const PartitionOp> ops) {
  KV_CHECK_LT(ops.size(), size_t{1} << 30);
  const int32_t op_count = static_cast<int32_t>(ops.size());
  // The order of the header, (time, call before return, op index), built
  // as a merge of the calls and the returns, each sorted by (time, op
  // index) apart: a partition lists its ops in call order already, so the
  // calls' sort only checks that.
  struct Event {
    int64_t time_ns;
    int32_t op_index;
  };
  const auto earlier = [](const Event& a, const Event& b) {
    return std::tie(a.time_ns, a.op_index) < std::tie(b.time_ns, b.op_index);
  };
  std::vector<Event> calls;
  std::vector<Event> returns;
  calls.reserve(ops.size());
  returns.reserve(ops.size());
  for (int32_t op_index = 0; op_index < op_count; ++op_index) {
    KV_CHECK_LE(ops[op_index].call_ns, ops[op_index].return_ns);
    calls.push_back({ops[op_index].call_ns, op_index});
    returns.push_back({ops[op_index].return_ns, op_index});
  }
  // Returns come nearly in call order too (an op returns about when the
  // ops called around it do).
  SortNearlySorted(absl::MakeSpan(calls), earlier);
  SortNearlySorted(absl::MakeSpan(returns), earlier);

  entries_.resize(2 * ops.size() + 1);
  call_entry_of_op_.assign(ops.size(), kEnd);
  std::vector<int32_t> return_entry_of_op(ops.size(), kEnd);
  size_t next_call = 0;
  size_t next_return = 0;
  int32_t previous = kHead;
  for (size_t position = 0; position < 2 * ops.size(); ++position) {
    // At equal times the call goes first, so a call always precedes its
    // own return.
    const bool is_call = next_call < calls.size() &&
                         (next_return == returns.size() || calls[next_call].time_ns <= returns[next_return].time_ns);
    const Event& event = is_call ? calls[next_call++] : returns[next_return++];
    const int32_t id = static_cast<int32_t>(position) + 1;
    Entry& entry = entries_[id];
    entry.op_index = event.op_index;
    entry.is_call = is_call;
    entry.prev = previous;
    entries_[previous].next = id;
    (entry.is_call ? call_entry_of_op_ : return_entry_of_op)[entry.op_index] = id;
    previous = id;
  }
  entries_[previous].next = kEnd;
  for (int32_t op_index = 0; op_index < op_count; ++op_index) {
    const int32_t call = call_entry_of_op_[op_index];
    const int32_t ret = return_entry_of_op[op_index];
    // The merge puts a call before its own return even at equal times.
    KV_DCHECK_LT(call, ret);
    entries_[call].match = ret;
    entries_[ret].match = call;
  }
  size_ = static_cast<int32_t>(2 * ops.size());
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
