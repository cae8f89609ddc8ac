#pragma once
// Shrinks a key's violation to a small set of operations whose recorded
// outcomes conflict. Layer: properties/.
//
// Every shrink step is a relaxation: it only ever adds legal orders, so when
// the relaxed history is still not linearizable, the kept operations really
// conflict, and nothing that was relaxed could have resolved the conflict.
// The relaxations:
//   - relax one operation: a completed read or failed CAS (which changes
//     nothing) is left out; a completed write (PUT, DELETE, successful CAS)
//     becomes indeterminate: it may have taken effect at any time after its
//     call, or never;
//   - cut after the failure: operations called after the search's overdue
//     operation returned are left out, and those still running then relaxed
//     (any linearization orders every op that returned by then before them);
//   - cut before the conflict, starting the key from an unknown value
//     (register_model.h): operations that returned before a time t are left
//     out and those running across t relaxed (every op that returned before t
//     precedes every op called after it, so its effect is folded into the
//     unknown start).
// The cuts come first, so that the remaining trials search a short window.
// A trial with an observation no order allows (impossible_observation.h) is
// a violation without a search.
// Then reads and failed CASes are left out in halving chunks, latest call
// first, down to single ops (delta debugging), and then writes are relaxed
// one at a time. Since relaxing is monotone, what is left is 1-minimal:
// relaxing any one essential operation makes the rest linearizable. (Unless
// a trial ran out of steps: each write trial is capped, because relaxed
// writes stay pending to the end of the search; a capped trial keeps the
// write and clears `minimal`.)

#include <cstdint>
#include <optional>
#include <vector>

#include "properties/linearizability/partition.h"
#include "properties/linearizability/register_model.h"

namespace kv::properties {

struct ViolationExplanation {
  // Partition op indices of the conflicting operations, ascending (call order).
  std::vector<int32_t> essential_ops;
  // kUnknownValue, or kAbsent if the conflict needs the key to start absent.
  RegisterState initial_state = kAbsent;
  // False if the step budget ran out first: essential_ops still conflict, but
  // some of them might be relaxable.
  bool minimal = false;
  // Search steps used. Invariant: steps <= max_steps.
  int64_t steps = 0;
  // The relaxed history the explanation rests on: the last trial that was
  // still a violation, in partition order. Its completed ops are exactly
  // essential_ops (when minimal). For tests that re-check it.
  std::vector<PartitionOp> relaxed_history;
};

// Explains why `partition` has no linearization, spending at most
// `max_steps` search steps. `overdue_op` is the overdue op of the failed
// search (SearchOutcome::overdue_op), or -1. Preconditions: the partition has
// no linearization from an absent start; max_steps >= 0. Deterministic.
ViolationExplanation ExplainViolation(const KeyPartition& partition, int32_t overdue_op,
                                      int64_t max_steps);

// How the search sees `op` when it is relaxed: nullopt if it is left out (a
// completed read or failed CAS), otherwise the op made indeterminate.
std::optional<PartitionOp> RelaxedOp(const PartitionOp& op);

}  // namespace kv::properties
