#include "properties/linearizability/wgl_search.h"

#include <optional>

#include "node/env/check.h"
#include "properties/linearizability/entry_list.h"
#include "properties/linearizability/linearization_cache.h"

namespace kv::properties {
namespace {

// One linearized operation on the explicit stack: what to undo on backtrack.
struct Frame {
  int32_t call_entry;
  RegisterState previous_state;
};

std::vector<int32_t> StackOps(const std::vector<Frame>& stack, const EntryList& list) {
  // Sized first and written by index: a whole key's ops when it is
  // linearizable, where a push_back each showed.
  std::vector<int32_t> ops(stack.size());
  for (size_t depth = 0; depth < stack.size(); ++depth) ops[depth] = list.OpIndex(stack[depth].call_entry);
  return ops;
}

// Records the dead end at `return_entry` as the best explanation so far.
// The candidates are exactly the calls still in the list before that return.
void RecordDeadEnd(const std::vector<Frame>& stack, RegisterState state, const EntryList& list,
                   int32_t return_entry, SearchOutcome* outcome) {
  outcome->linearization = StackOps(stack, list);
  outcome->state = state;
  outcome->stuck_ops.clear();
  for (int32_t entry = list.First(); entry != return_entry; entry = list.Next(entry)) {
    KV_DCHECK_NE(entry, EntryList::kEnd);
    if (list.IsCall(entry)) outcome->stuck_ops.push_back(list.OpIndex(entry));
  }
  outcome->overdue_op = list.OpIndex(return_entry);
}

}  // namespace

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kViolation:
      return "violation";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "invalid";
}

SearchOutcome SearchLinearization(absl::Span<const PartitionOp> ops, int64_t max_steps,
                                  RegisterState initial_state) {
  KV_CHECK_GE(max_steps, 0);
  const int32_t op_count = static_cast<int32_t>(ops.size());
  EntryList list(ops);
  // Lowe's cache prunes a configuration reached before. Porcupine inserts
  // each one as it is reached; this search inserts it only when it
  // backtracks out of it, and looks it up as it is reached. The answers
  // are the same: a configuration reached while another is on the stack
  // has more ops than any stack prefix (the stack is the path to it), so
  // it can only equal one the search has left, and those are all stored.
  // A search that never backtracks then stores nothing, and one that
  // rarely does (most keys of a client history) a handful, where an insert
  // per op cost a quarter of the search. Likewise `linearized` follows the
  // stack only from the first backtrack on (`tracking`): until then the
  // cache is empty and no lookup is needed; then it is built from the
  // stack.
  bool tracking = false;
  // Whether the cache holds a configuration of each size (a stack depth it
  // was left at): a configuration of another size cannot be there, so
  // most lookups are skipped. Sized at the first backtrack.
  std::vector<bool> stored_of_size;
  LinearizedSet linearized(op_count);
  LinearizationCache cache;
  std::vector<Frame> stack;
  stack.reserve(ops.size());
  // Once every completed op is linearized the rest are timed out; each of
  // them can go last in any state, so the search can stop there instead of
  // enumerating their orders.
  int32_t completed_remaining = 0;
  for (const PartitionOp& op : ops) completed_remaining += op.op.completed ? 1 : 0;

  SearchOutcome outcome;
  int64_t best_depth = -1;
  RegisterState state = initial_state;
  outcome.state = initial_state;
  int32_t entry = list.First();
  while (completed_remaining > 0) {
    if (outcome.steps == max_steps) {
      outcome.verdict = Verdict::kUnknown;
      if (static_cast<int64_t>(stack.size()) > best_depth) {
        outcome.linearization = StackOps(stack, list);
        outcome.state = state;
      }
      return outcome;
    }
    ++outcome.steps;
    // A completed op's return is still ahead, so the walk cannot run off.
    KV_DCHECK_NE(entry, EntryList::kEnd);
    if (list.IsCall(entry)) {
      const int32_t op_index = list.OpIndex(entry);
      const RegisterOp& op = ops[op_index].op;
      const std::optional<RegisterState> next = StepRegister(state, op);
      if (next.has_value()) {
        if (tracking) linearized.Add(op_index);
        if (!tracking || !stored_of_size[stack.size() + 1] || !cache.Contains(linearized, *next)) {
          stack.push_back({entry, state});
          state = *next;
          list.Lift(entry);
          if (op.completed) --completed_remaining;
          entry = list.First();
          continue;
        }
        // Seen before with this state: its future was explored already.
        linearized.Remove(op_index);
      }
      entry = list.Next(entry);
      continue;
    }
    // A return: its op had to be linearized by now, and no candidate before
    // it worked from this configuration.
    if (static_cast<int64_t>(stack.size()) > best_depth) {
      best_depth = static_cast<int64_t>(stack.size());
      RecordDeadEnd(stack, state, list, entry, &outcome);
    }
    if (stack.empty()) {
      outcome.verdict = Verdict::kViolation;
      return outcome;
    }
    if (!tracking) {
      for (const Frame& frame : stack) linearized.Add(list.OpIndex(frame.call_entry));
      stored_of_size.assign(ops.size() + 1, false);
      tracking = true;
    }
    // Left for good: no path reaches it again unless through the cache.
    const bool stored = cache.Insert(linearized, state);
    KV_DCHECK(stored);  // Reached once only: the lookup refused it after.
    stored_of_size[stack.size()] = true;
    const Frame frame = stack.back();
    stack.pop_back();
    const int32_t op_index = list.OpIndex(frame.call_entry);
    linearized.Remove(op_index);
    state = frame.previous_state;
    list.Unlift(frame.call_entry);
    if (ops[op_index].op.completed) ++completed_remaining;
    entry = list.Next(frame.call_entry);
  }
  outcome.verdict = Verdict::kOk;
  outcome.linearization = StackOps(stack, list);
  outcome.state = state;
  outcome.stuck_ops.clear();
  outcome.overdue_op = -1;
  KV_DCHECK_LE(outcome.steps, max_steps);
  return outcome;
}

}  // namespace kv::properties
