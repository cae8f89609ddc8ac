#include "properties/linearizability/entry_list.h"

#include <algorithm>

#include "node/env/check.h"
#include "properties/linearizability/nearly_sorted.h"

namespace kv::properties {

EntryList::EntryList(absl::Span<const PartitionOp> ops) {
  KV_CHECK_LT(ops.size(), size_t{1} << 30);
  const int32_t op_count = static_cast<int32_t>(ops.size());
  // The order of the header, (time, call before return, op index), built
  // as a merge of the calls and the returns, each in (time, op index)
  // order apart. Each list is made in op index order and sorted stably by
  // time alone, which leaves equal times in op index order. A partition
  // lists its ops in call order already: the calls are then read from
  // `ops` as they are, and a list of them is made and sorted only for ops
  // out of that order.
  struct Event {
    int64_t time_ns;
    int32_t op_index;
  };
  const auto earlier = [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; };
  std::vector<Event> returns;
  returns.reserve(ops.size());
  bool calls_in_order = true;
  for (int32_t op_index = 0; op_index < op_count; ++op_index) {
    KV_CHECK_LE(ops[op_index].call_ns, ops[op_index].return_ns);
    if (op_index > 0 && ops[op_index].call_ns < ops[op_index - 1].call_ns) calls_in_order = false;
    returns.push_back({ops[op_index].return_ns, op_index});
  }
  std::vector<Event> calls;
  if (!calls_in_order) {
    calls.reserve(ops.size());
    for (int32_t op_index = 0; op_index < op_count; ++op_index) calls.push_back({ops[op_index].call_ns, op_index});
    SortNearlySorted(absl::MakeSpan(calls), earlier);
  }
  // Returns come nearly in call order too (an op returns about when the
  // ops called around it do).
  SortNearlySorted(absl::MakeSpan(returns), earlier);

  entries_.resize(2 * ops.size() + 1);
  call_entry_of_op_.assign(ops.size(), kEnd);
  // The merge, made once for calls read from `ops` and once for the sorted
  // list, so that the usual one does not ask which at every entry.
  if (calls_in_order) {
    Link(ops.size(), [&ops](size_t position) { return Event{ops[position].call_ns, static_cast<int32_t>(position)}; },
         returns);
  } else {
    Link(ops.size(), [&calls](size_t position) { return calls[position]; }, returns);
  }
  size_ = static_cast<int32_t>(2 * ops.size());
}

template <typename CallAt, typename Events>
void EntryList::Link(size_t op_count, CallAt call_at, const Events& returns) {
  size_t next_call = 0;
  size_t next_return = 0;
  int32_t previous = kHead;
  for (size_t position = 0; position < 2 * op_count; ++position) {
    // At equal times the call goes first, so a call always precedes its
    // own return, and a return's call has its entry already: the two are
    // matched there.
    const bool is_call = next_call < op_count &&
                         (next_return == returns.size() || call_at(next_call).time_ns <= returns[next_return].time_ns);
    const auto event = is_call ? call_at(next_call++) : returns[next_return++];
    const int32_t id = static_cast<int32_t>(position) + 1;
    Entry& entry = entries_[id];
    entry.op_index = event.op_index;
    entry.is_call = is_call;
    entry.prev = previous;
    entries_[previous].next = id;
    if (is_call) {
      call_entry_of_op_[event.op_index] = id;
    } else {
      const int32_t call = call_entry_of_op_[event.op_index];
      KV_DCHECK_NE(call, kEnd);
      entry.match = call;
      entries_[call].match = id;
    }
    previous = id;
  }
  entries_[previous].next = kEnd;
}

}  // namespace kv::properties
