#pragma once
// Shrinks a key's violation to a small set of operations that conflict on
// their own. Layer: properties/.
//
// The shrink removes operations one at a time, latest call first, and keeps
// each removal under which the remaining operations still have no
// linearization, repeating passes until one removes nothing. Removing only
// ever shrinks the search, so each trial costs no more than the original
// check. What is left is 1-minimal: those operations alone are not
// linearizable, and without any one of them they are.
//
// Removal alone would explain too little: with the key starting absent, a
// read of "a" without its write is a conflict by itself, and the shrink would
// throw away the write and the later overwrite that make the read stale. So
// when the violation survives it, the shrink starts the key from an unknown
// value (register_model.h), and a read then conflicts only with operations
// that pin the value down: for a stale read, the overwrite that completed
// before the read began, and the read. Only when the key's first operations
// are themselves impossible (a read of a value nobody wrote, from an absent
// key) does the shrink keep the absent start.

#include <cstdint>
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
  // some of them might be removable.
  bool minimal = false;
  // Search steps used. Invariant: steps <= max_steps.
  int64_t steps = 0;
};

// Explains why `partition` has no linearization, spending at most
// `max_steps` search steps. Precondition: SearchLinearization(partition.ops)
// gives kViolation; max_steps >= 0. Deterministic.
ViolationExplanation ExplainViolation(const KeyPartition& partition, int64_t max_steps);

// The ops of `partition` whose indices are in `op_indices` (ascending), for
// re-checking an explanation.
std::vector<PartitionOp> SelectOps(const KeyPartition& partition,
                                   const std::vector<int32_t>& op_indices);

}  // namespace kv::properties
