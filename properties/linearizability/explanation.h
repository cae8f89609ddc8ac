#pragma once
// Shrinks a key's violation to a minimal set of operations that conflict.
// Layer: properties/.
//
// "Relaxing" an operation means assuming the least about it: a write or CAS
// becomes indeterminate (it may have taken effect at any time after its call,
// or never; its output is ignored) and a read is dropped. Relaxing only adds
// legal orders, so a linearizable history stays linearizable. The shrink
// relaxes operations one at a time, latest call first, and keeps each
// relaxation under which the violation remains. What is left is a 1-minimal
// set: relaxing any single one of its operations, with every other operation
// of the key relaxed, makes the key linearizable. For a stale read this is
// the two writes and the read; for a read of a value nobody wrote, the read.

#include <cstdint>
#include <vector>

#include "properties/linearizability/partition.h"

namespace kv::properties {

struct ViolationExplanation {
  // Partition op indices of the conflicting operations, ascending (call order).
  std::vector<int32_t> essential_ops;
  // False if the step budget ran out first: essential_ops still conflict, but
  // some of them might be relaxable.
  bool minimal = false;
  // Search steps used. Invariant: steps <= max_steps.
  int64_t steps = 0;
};

// Explains why `partition` has no linearization, spending at most
// `max_steps` search steps. Precondition: SearchLinearization(partition.ops)
// gives kViolation; max_steps >= 0. Deterministic.
ViolationExplanation ExplainViolation(const KeyPartition& partition, int64_t max_steps);

}  // namespace kv::properties
