#include "properties/linearizability/linearizability_checker.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/status_macros.h"
#include "properties/linearizability/explanation.h"
#include "properties/linearizability/partition.h"

namespace kv::properties {
namespace {

std::vector<ReportedOperation> Quote(absl::Span<const Operation> history,
                                     const KeyPartition& partition,
                                     const std::vector<int32_t>& op_indices) {
  std::vector<ReportedOperation> quoted;
  quoted.reserve(op_indices.size());
  for (const int32_t op_index : op_indices) {
    const size_t history_index = partition.ops[op_index].history_index;
    quoted.push_back({history_index, history[history_index]});
  }
  return quoted;
}

// Copies the explanation of a failed or unfinished search into the result.
void Explain(absl::Span<const Operation> history, const KeyPartition& partition,
             const SearchOutcome& outcome, CheckResult* result) {
  result->key = partition.key;
  result->longest_prefix = Quote(history, partition, outcome.linearization);
  result->value_after_prefix = StateValue(partition, outcome.state);
  result->unlinearizable = Quote(history, partition, outcome.stuck_ops);
  if (outcome.overdue_op >= 0) {
    result->overdue = Quote(history, partition, {outcome.overdue_op}).front();
  }
}

void AppendOperations(const std::vector<ReportedOperation>& operations, std::string* text) {
  for (size_t position = 0; position < operations.size(); ++position) {
    absl::StrAppend(text, "    ", position + 1, ". #", operations[position].history_index, " ",
                    FormatOperation(operations[position].operation), "\n");
  }
}

}  // namespace

absl::StatusOr<CheckResult> CheckLinearizability(absl::Span<const Operation> history,
                                                 const CheckOptions& options) {
  if (options.max_search_steps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_search_steps must be >= 0, got ", options.max_search_steps));
  }
  if (options.max_explanation_steps < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_explanation_steps must be >= 0, got ",
                                                   options.max_explanation_steps));
  }
  KV_RETURN_IF_ERROR(ValidateHistory(history));
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  CheckResult result;
  result.key_count = static_cast<int64_t>(partitions.size());
  for (const KeyPartition& partition : partitions) {
    const int64_t budget = options.max_search_steps - result.search_steps;
    const SearchOutcome outcome = SearchLinearization(partition.ops, budget);
    KV_CHECK_LE(outcome.steps, budget);
    result.search_steps += outcome.steps;
    if (outcome.verdict != Verdict::kOk) {
      // A violation in any key decides the whole history; an exhausted
      // budget leaves the remaining keys unchecked, so the whole is unknown.
      result.verdict = outcome.verdict;
      Explain(history, partition, outcome, &result);
      if (outcome.verdict == Verdict::kViolation) {
        const ViolationExplanation explanation =
            ExplainViolation(partition, outcome.overdue_op, options.max_explanation_steps);
        result.conflicting = Quote(history, partition, explanation.essential_ops);
        result.conflicting_is_minimal = explanation.minimal;
        result.conflict_needs_absent_start = explanation.initial_state == kAbsent;
        result.explanation_steps = explanation.steps;
      }
      return result;
    }
    ++result.keys_checked;
  }
  result.verdict = Verdict::kOk;
  KV_CHECK_EQ(result.keys_checked, result.key_count);
  return result;
}

std::string FormatCheckResult(const CheckResult& result) {
  std::string text =
      absl::StrCat("linearizability: ", VerdictName(result.verdict), " (", result.keys_checked,
                   " of ", result.key_count, " keys checked, ", result.search_steps,
                   " search steps)\n");
  if (result.verdict == Verdict::kOk) return text;
  if (result.verdict == Verdict::kViolation) {
    absl::StrAppend(&text, "  key ", result.key, " has no linearization.\n");
    absl::StrAppend(&text, "  these operations conflict ",
                    result.conflict_needs_absent_start ? "starting from an absent key"
                                                       : "whatever the key held before",
                    " and whenever (or whether) its other operations took effect",
                    result.conflicting_is_minimal ? " (a minimal set)" : " (not fully minimized)",
                    ":\n");
    AppendOperations(result.conflicting, &text);
  } else {
    absl::StrAppend(&text, "  the step budget ran out while searching key ", result.key,
                    "; later keys were not checked.\n");
  }
  absl::StrAppend(&text, "  longest linearizable prefix (", result.longest_prefix.size(),
                  " operations, in linearization order):\n");
  AppendOperations(result.longest_prefix, &text);
  absl::StrAppend(&text, "  value after the prefix: ", FormatValue(result.value_after_prefix),
                  "\n");
  if (!result.unlinearizable.empty()) {
    absl::StrAppend(&text, "  none of these could be linearized next:\n");
    AppendOperations(result.unlinearizable, &text);
  }
  if (result.overdue.has_value()) {
    absl::StrAppend(&text, "  #", result.overdue->history_index,
                    " returned before any other remaining operation was called, so one of these "
                    "had to go next.\n");
  }
  return text;
}

}  // namespace kv::properties
