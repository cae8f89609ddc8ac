#include "properties/linearizability/impossible_observation.h"

#include <algorithm>
#include <vector>

#include "node/env/check.h"

namespace kv::properties {
namespace {

// Whether `op` may have written its value: a PUT may always have (an
// indeterminate one too); a CAS unless it completed and reported failure.
bool MayWrite(const RegisterOp& op) {
  if (op.kind == OpKind::kPut) return true;
  if (op.kind == OpKind::kCas) return !op.completed || op.cas_succeeded;
  return false;
}

// Whether `op` surely replaced the key's value: it completed, and wrote.
bool SurelyWrote(const RegisterOp& op) {
  if (!op.completed) return false;
  return op.kind == OpKind::kPut || op.kind == OpKind::kDelete ||
         (op.kind == OpKind::kCas && op.cas_succeeded);
}

// The value `op` saw, or kAbsent if it saw none (or saw "absent").
RegisterState Observed(const RegisterOp& op) {
  if (!op.completed) return kAbsent;  // Outputs of an indeterminate op are not checked.
  if (op.kind == OpKind::kGet) return op.read_value;
  if (op.kind == OpKind::kCas && op.cas_succeeded) return op.expected;
  return kAbsent;
}

}  // namespace

std::optional<ImpossibleObservation> FindImpossibleObservation(const KeyPartition& partition) {
  return FindImpossibleObservation(partition.ops, partition.values.size(), kAbsent);
}

std::optional<ImpossibleObservation> FindImpossibleObservation(absl::Span<const PartitionOp> ops,
                                                               size_t value_count,
                                                               RegisterState initial_state) {
  KV_CHECK(initial_state == kAbsent || initial_state == kUnknownValue);
  // The two earliest-called writes of each value, in call order (ops are):
  // a CAS that expects the very value it writes cannot count its own write,
  // so it needs the other one.
  std::vector<int32_t> first(value_count, -1);
  std::vector<int32_t> second(value_count, -1);
  // From an unknown start: the earliest return of a write that surely took
  // effect.
  int64_t first_sure_write_return_ns = kNeverReturnedNs;
  for (size_t i = 0; i < ops.size(); ++i) {
    const RegisterOp& op = ops[i].op;
    if (SurelyWrote(op)) first_sure_write_return_ns = std::min(first_sure_write_return_ns, ops[i].return_ns);
    if (!MayWrite(op)) continue;
    KV_CHECK_LT(static_cast<size_t>(op.value), first.size());
    if (first[op.value] < 0) {
      first[op.value] = static_cast<int32_t>(i);
    } else if (second[op.value] < 0) {
      second[op.value] = static_cast<int32_t>(i);
    }
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    const RegisterState seen = Observed(ops[i].op);
    if (seen == kAbsent) continue;
    // The key may have held the value from the start, unless a sure write
    // replaced it before this op was called.
    if (initial_state == kUnknownValue && first_sure_write_return_ns >= ops[i].call_ns) continue;
    KV_CHECK_LT(static_cast<size_t>(seen), first.size());
    const int32_t writer = first[seen] == static_cast<int32_t>(i) ? second[seen] : first[seen];
    if (writer < 0) {
      return ImpossibleObservation{static_cast<int32_t>(i), ImpossibleReason::kNeverWritten, -1};
    }
    // A completed op's return is finite; a write called exactly at it is
    // concurrent with it and may have gone first.
    if (ops[writer].call_ns > ops[i].return_ns) {
      return ImpossibleObservation{static_cast<int32_t>(i), ImpossibleReason::kWrittenOnlyLater, writer};
    }
  }
  return std::nullopt;
}

}  // namespace kv::properties
