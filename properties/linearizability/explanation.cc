#include "properties/linearizability/explanation.h"

#include "node/env/check.h"
#include "properties/linearizability/wgl_search.h"

namespace kv::properties {
namespace {

// The ops whose `kept` flag is set, in order.
std::vector<PartitionOp> KeptOps(const KeyPartition& partition, const std::vector<bool>& kept) {
  std::vector<PartitionOp> ops;
  ops.reserve(partition.ops.size());
  for (size_t op_index = 0; op_index < partition.ops.size(); ++op_index) {
    if (kept[op_index]) ops.push_back(partition.ops[op_index]);
  }
  return ops;
}

}  // namespace

std::vector<PartitionOp> SelectOps(const KeyPartition& partition,
                                   const std::vector<int32_t>& op_indices) {
  std::vector<PartitionOp> ops;
  ops.reserve(op_indices.size());
  for (const int32_t op_index : op_indices) ops.push_back(partition.ops[op_index]);
  return ops;
}

ViolationExplanation ExplainViolation(const KeyPartition& partition, int64_t max_steps) {
  KV_CHECK_GE(max_steps, 0);
  const int32_t op_count = static_cast<int32_t>(partition.ops.size());
  std::vector<bool> kept(partition.ops.size(), true);
  ViolationExplanation explanation;
  explanation.minimal = true;

  // Prefer the unknown start (see the header); it needs the whole key to
  // still be a violation from there.
  const SearchOutcome from_unknown =
      SearchLinearization(partition.ops, max_steps, kUnknownValue);
  explanation.steps += from_unknown.steps;
  explanation.initial_state = from_unknown.verdict == Verdict::kViolation ? kUnknownValue : kAbsent;
  if (from_unknown.verdict == Verdict::kUnknown) explanation.minimal = false;

  // Latest call first: operations after the conflict are usually irrelevant,
  // and removing them early makes every later trial cheaper. Removing a write
  // can make a linearizable set non-linearizable again (a read loses its
  // source), so one pass is not enough for 1-minimality: repeat until a whole
  // pass removes nothing, at which point every kept op was tested against
  // the final set.
  bool removed_any = true;
  while (removed_any && explanation.minimal) {
    removed_any = false;
    for (int32_t op_index = op_count - 1; op_index >= 0 && explanation.minimal; --op_index) {
      if (!kept[op_index]) continue;
      kept[op_index] = false;
      const SearchOutcome outcome = SearchLinearization(
          KeptOps(partition, kept), max_steps - explanation.steps, explanation.initial_state);
      explanation.steps += outcome.steps;
      if (outcome.verdict == Verdict::kViolation) {
        removed_any = true;  // Not needed for the conflict.
        continue;
      }
      kept[op_index] = true;
      if (outcome.verdict == Verdict::kUnknown) explanation.minimal = false;
    }
  }
  for (int32_t op_index = 0; op_index < op_count; ++op_index) {
    if (kept[op_index]) explanation.essential_ops.push_back(op_index);
  }
  // An empty history is linearizable, so a conflict needs at least one op.
  KV_CHECK(!explanation.essential_ops.empty());
  KV_CHECK_LE(explanation.steps, max_steps);
  return explanation;
}

}  // namespace kv::properties
