#pragma once
// The linearizability checker for KV client histories (issue 6): decides
// whether the operations could have taken effect one at a time, each at some
// instant between its call and its return, in an order legal for one
// register per key. Layer: properties/ (reads a history, changes nothing).
//
// It splits the history by key (partition.h). A key with an operation that
// saw a value it cannot have seen (impossible_observation.h) decides a
// violation at once; otherwise it runs the Wing & Gong / Lowe search
// (wgl_search.h) on each key in ascending key order, under one step budget
// for the whole history. It uses no clock and no randomness, and no
// hash-table order reaches its result: the same history and options always
// give the same result and the same report text.
//
// Usage:
//   KV_ASSIGN_OR_RETURN(CheckResult result, CheckLinearizability(history, {}));
//   if (result.verdict == Verdict::kViolation) print FormatCheckResult(result);

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "properties/linearizability/history.h"
#include "properties/linearizability/impossible_observation.h"
#include "properties/linearizability/wgl_search.h"

namespace kv::properties {

struct CheckOptions {
  // Search steps allowed for the whole history, summed over keys. When they
  // run out the verdict is kUnknown, never a guess. Must be >= 0. The
  // default checks a 10,000-operation, concurrency-10 history many times over.
  int64_t max_search_steps = 50'000'000;
  // Steps allowed for shrinking a violation to its conflicting operations
  // (explanation.h), on top of the search. Only the report depends on it,
  // never the verdict. Must be >= 0.
  int64_t max_explanation_steps = 10'000'000;
};

// An operation quoted in a report, with its position in the input history.
struct ReportedOperation {
  size_t history_index = 0;
  Operation operation;
};

// An operation that observed a value it cannot have seen
// (impossible_observation.h): it decides the violation without a search.
struct ImpossibleReport {
  ReportedOperation observer;
  ImpossibleReason reason = ImpossibleReason::kNeverWritten;
  // kWrittenOnlyLater: the earliest-called write of the value.
  std::optional<ReportedOperation> first_writer;
};

struct CheckResult {
  Verdict verdict = Verdict::kUnknown;
  // kViolation: the key that has no linearization. kUnknown: the key whose
  // search ran out of budget. Empty for kOk.
  std::string key;
  // kViolation: operations of that key whose recorded outcomes conflict:
  // there is no linearization even if every other operation of the key may
  // have taken effect at any time after its call, or never, and whatever the
  // key held before (unless conflict_needs_absent_start). If
  // conflicting_is_minimal, freeing any one of them resolves the conflict.
  // In call order. Read these first.
  std::vector<ReportedOperation> conflicting;
  bool conflicting_is_minimal = false;
  bool conflict_needs_absent_start = false;
  // For that key: the longest linearizable prefix found, in linearization order.
  std::vector<ReportedOperation> longest_prefix;
  // The key's value after that prefix.
  std::optional<std::string> value_after_prefix;
  // The operations that could not be linearized next after that prefix: each
  // was called before the first pending return, and none leads to a
  // linearization. Together with the prefix they explain the violation.
  std::vector<ReportedOperation> unlinearizable;
  // The member of `unlinearizable` whose return forced the dead end.
  std::optional<ReportedOperation> overdue;
  // kViolation found by the pre-check, before any search: the operation that
  // saw an impossible value. The key's search still runs, under the same
  // budget, for the prefix above; if it runs out, the prefix is the longest
  // it reached and `unlinearizable` may be empty, but the verdict stands.
  std::optional<ImpossibleReport> impossible;
  // Search steps used over all keys. Invariant: <= options.max_search_steps.
  int64_t search_steps = 0;
  // Steps spent on `conflicting`. Invariant: <= options.max_explanation_steps.
  int64_t explanation_steps = 0;
  // Keys with a decided verdict (kOk), and keys in the history.
  int64_t keys_checked = 0;
  int64_t key_count = 0;
};

// Checks `history`. Returns kInvalidArgument if an operation is malformed
// (see ValidateHistory) or the budget is negative; otherwise a result.
[[nodiscard]] absl::StatusOr<CheckResult> CheckLinearizability(absl::Span<const Operation> history,
                                                               const CheckOptions& options);
// As above, with the keys numbered by the caller as PartitionByKey's
// key_ids (partition.h): saves hashing every key. Same result; also
// kInvalidArgument if key_ids is neither empty (as above) nor as long as
// the history.
[[nodiscard]] absl::StatusOr<CheckResult> CheckLinearizability(absl::Span<const Operation> history,
                                                               absl::Span<const uint32_t> key_ids,
                                                               const CheckOptions& options);

// A readable multi-line report: the verdict, the counts and, for a violation
// or unknown, the key, the conflicting operations, the prefix (numbered, with
// the value after it) and the operations that could not go next.
std::string FormatCheckResult(const CheckResult& result);

}  // namespace kv::properties
