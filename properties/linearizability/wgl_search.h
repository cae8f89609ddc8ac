#pragma once
// The linearizability search for one key's sub-history: Wing & Gong's
// backtracking with Lowe's improvements, as Porcupine implements it
// (checker.go). Layer: properties/.
//
// The search walks the time-ordered list of call/return events. At a call it
// tries to linearize that operation next (the model must accept its output,
// and the resulting configuration must be new to the cache); on success it
// removes the operation from the list, pushes it on an explicit stack and
// starts again from the front. Reaching a return means that operation had to
// be linearized already and no candidate worked: it backtracks.

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "properties/linearizability/partition.h"
#include "properties/linearizability/register_model.h"

namespace kv::properties {

enum class Verdict : uint8_t {
  kOk,         // A legal linearization exists.
  kViolation,  // None exists.
  kUnknown,    // The step budget ran out first.
};

// "ok", "violation" or "unknown".
const char* VerdictName(Verdict verdict);

struct SearchOutcome {
  Verdict verdict = Verdict::kUnknown;
  // Search steps used (one per event visited). Invariant: steps <= max_steps.
  int64_t steps = 0;
  // kOk: a linearization, as partition op indices in order. Timed-out ops
  // missing from it took no effect (or only after every completed op).
  // Otherwise: the longest linearizable prefix the search reached.
  std::vector<int32_t> linearization;
  // The register state after `linearization`.
  RegisterState state = kAbsent;
  // At the end of the longest prefix where the search got stuck: the ops
  // that were candidates to go next (called before the first pending
  // return), none of which led to a linearization. Empty if the search never
  // got stuck (kOk, or kUnknown before any dead end).
  std::vector<int32_t> stuck_ops;
  // Among stuck_ops, the op whose return was reached: it had to be
  // linearized before anything called later. -1 if stuck_ops is empty.
  int32_t overdue_op = -1;
};

// Searches for a linearization of `ops` starting from `initial_state`
// (normally an absent register), taking at most `max_steps` steps.
// Deterministic: the same input gives the same outcome. Precondition:
// max_steps >= 0; ops as built by PartitionByKey, or a subset of them.
SearchOutcome SearchLinearization(absl::Span<const PartitionOp> ops, int64_t max_steps,
                                  RegisterState initial_state = kAbsent);

}  // namespace kv::properties
