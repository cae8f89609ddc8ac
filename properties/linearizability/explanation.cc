#include "properties/linearizability/explanation.h"

#include "node/env/check.h"
#include "properties/linearizability/wgl_search.h"

namespace kv::properties {
namespace {

// The ops the search sees when `relaxed[i]` marks op i relaxed. Relaxed
// reads are left out: an indeterminate read constrains nothing.
std::vector<PartitionOp> RelaxedOps(const KeyPartition& partition,
                                    const std::vector<bool>& relaxed) {
  std::vector<PartitionOp> ops;
  ops.reserve(partition.ops.size());
  for (size_t op_index = 0; op_index < partition.ops.size(); ++op_index) {
    PartitionOp op = partition.ops[op_index];
    if (relaxed[op_index]) {
      if (op.op.kind == OpKind::kGet) continue;
      op.op.completed = false;
      op.return_ns = kNeverReturnedNs;
    }
    ops.push_back(op);
  }
  return ops;
}

}  // namespace

ViolationExplanation ExplainViolation(const KeyPartition& partition, int64_t max_steps) {
  KV_CHECK_GE(max_steps, 0);
  const int32_t op_count = static_cast<int32_t>(partition.ops.size());
  std::vector<bool> relaxed(partition.ops.size(), false);
  ViolationExplanation explanation;
  explanation.minimal = true;
  // Latest call first: operations after the conflict are usually irrelevant,
  // and relaxing them early makes every later trial cheaper.
  for (int32_t op_index = op_count - 1; op_index >= 0; --op_index) {
    relaxed[op_index] = true;
    const SearchOutcome outcome =
        SearchLinearization(RelaxedOps(partition, relaxed), max_steps - explanation.steps);
    explanation.steps += outcome.steps;
    if (outcome.verdict == Verdict::kViolation) continue;  // Not needed for the conflict.
    relaxed[op_index] = false;
    if (outcome.verdict == Verdict::kUnknown) {
      explanation.minimal = false;
      break;
    }
  }
  for (int32_t op_index = 0; op_index < op_count; ++op_index) {
    if (!relaxed[op_index]) explanation.essential_ops.push_back(op_index);
  }
  // Relaxing everything leaves nothing to violate, so a conflict needs an op.
  KV_CHECK(!explanation.essential_ops.empty());
  KV_CHECK_LE(explanation.steps, max_steps);
  return explanation;
}

}  // namespace kv::properties
