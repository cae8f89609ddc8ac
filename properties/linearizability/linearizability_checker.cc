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

// Fills in the explanation of a violation: the conflicting operations.
// `overdue_op`: the op that had to go next where the search failed (or the
// impossible observer), -1 if none.
void ExplainConflict(absl::Span<const Operation> history, const KeyPartition& partition,
                     int32_t overdue_op, const CheckOptions& options, CheckResult* result) {
  const ViolationExplanation explanation =
      ExplainViolation(partition, overdue_op, options.max_explanation_steps);
  result->conflicting = Quote(history, partition, explanation.essential_ops);
  result->conflicting_is_minimal = explanation.minimal;
  result->conflict_needs_absent_start = explanation.initial_state == kAbsent;
  result->explanation_steps = explanation.steps;
}

// A violation the pre-check decided: the key's search runs anyway, under
// the budget, for the report's prefix; whatever it answers, the verdict
// stands.
CheckResult ReportImpossible(absl::Span<const Operation> history, const KeyPartition& partition,
                             const ImpossibleObservation& found, const CheckOptions& options,
                             CheckResult result) {
  const SearchOutcome outcome = SearchLinearization(partition.ops, options.max_search_steps);
  KV_CHECK(outcome.verdict != Verdict::kOk);  // The pre-check proved none exists.
  result.search_steps = outcome.steps;
  result.verdict = Verdict::kViolation;
  Explain(history, partition, outcome, &result);
  ImpossibleReport& impossible = result.impossible.emplace();
  impossible.observer = Quote(history, partition, {found.op}).front();
  impossible.reason = found.reason;
  if (found.first_writer >= 0) {
    impossible.first_writer = Quote(history, partition, {found.first_writer}).front();
  }
  // The search's dead end, if it reached one, else the observer itself:
  // nothing called after it returned can make it linearizable.
  const int32_t overdue = outcome.verdict == Verdict::kViolation ? outcome.overdue_op : found.op;
  ExplainConflict(history, partition, overdue, options, &result);
  return result;
}

void AppendOperations(const std::vector<ReportedOperation>& operations, std::string* text) {
  for (size_t position = 0; position < operations.size(); ++position) {
    absl::StrAppend(text, "    ", position + 1, ". #", operations[position].history_index, " ",
                    FormatOperation(operations[position].operation), "\n");
  }
}

void AppendImpossible(const ImpossibleReport& impossible, std::string* text) {
  const Operation& observer = impossible.observer.operation;
  const char* saw = observer.kind == OpKind::kCas ? "succeeded expecting" : "read";
  absl::StrAppend(text, "  #", impossible.observer.history_index, " ", FormatOperation(observer),
                  "\n    ", saw, " a value that ");
  if (impossible.reason == ImpossibleReason::kNeverWritten) {
    absl::StrAppend(text, "no operation of the key writes");
  } else {
    absl::StrAppend(text, "only operations called after it returned write (the first: #",
                    impossible.first_writer->history_index, ", called at ",
                    impossible.first_writer->operation.call_ns, ")");
  }
  absl::StrAppend(text, ": no order of the key's operations allows it.\n");
}

}  // namespace

absl::StatusOr<CheckResult> CheckLinearizability(absl::Span<const Operation> history,
                                                 const CheckOptions& options) {
  return CheckLinearizability(history, {}, options);
}

absl::StatusOr<CheckResult> CheckLinearizability(absl::Span<const Operation> history,
                                                 absl::Span<const uint32_t> key_ids, const CheckOptions& options) {
  if (!key_ids.empty() && key_ids.size() != history.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_ids has ", key_ids.size(), " numbers for ", history.size(), " operations"));
  }
  if (options.max_search_steps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_search_steps must be >= 0, got ", options.max_search_steps));
  }
  if (options.max_explanation_steps < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_explanation_steps must be >= 0, got ",
                                                   options.max_explanation_steps));
  }
  KV_RETURN_IF_ERROR(ValidateHistory(history));
  const std::vector<KeyPartition> partitions = PartitionByKey(history, key_ids);
  CheckResult result;
  result.key_count = static_cast<int64_t>(partitions.size());
  // One pass per key, before any search: such a violation would otherwise
  // cost a search of every order around the observer (impossible_observation.h).
  for (const KeyPartition& partition : partitions) {
    if (const std::optional<ImpossibleObservation> found = FindImpossibleObservation(partition)) {
      return ReportImpossible(history, partition, *found, options, std::move(result));
    }
  }
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
        ExplainConflict(history, partition, outcome.overdue_op, options, &result);
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
    if (result.impossible.has_value()) AppendImpossible(*result.impossible, &text);
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
