#pragma once
// A cheap pre-check that decides some violations outright: an operation that
// observed a value no operation of its key could have written by the time it
// returned. Layer: properties/.
//
// A GET that read a value, or a CAS that succeeded expecting one, can only be
// linearized after some write of that value. If no PUT or (possibly
// successful) CAS of the key writes it, or every one that does was called
// after the observer returned, no order of the key's operations is legal. The
// search would find that too, but only by exhausting every order of the
// operations around the observer, which on a long key can outlast any step
// budget and end "unknown". This check is one pass over the key.

#include <cstdint>
#include <cstddef>
#include <optional>

#include "absl/types/span.h"

#include "properties/linearizability/partition.h"
#include "properties/linearizability/register_model.h"

namespace kv::properties {

enum class ImpossibleReason : uint8_t {
  kNeverWritten,      // No operation of the key writes the value.
  kWrittenOnlyLater,  // Every write of it was called after the observer returned.
};

struct ImpossibleObservation {
  // Partition op index of the observer: a completed GET, or a completed CAS
  // that succeeded.
  int32_t op = -1;
  ImpossibleReason reason = ImpossibleReason::kNeverWritten;
  // kWrittenOnlyLater: the earliest-called write of the value. Otherwise -1.
  int32_t first_writer = -1;
};

// The first operation in call order that observed a value it cannot have
// seen, or nullopt if every observation has a write of its value called no
// later than the observer's return. Observing "absent" is always possible
// (the key starts absent). Intervals that touch count as concurrent, as in
// the search. Deterministic; O(ops + values).
std::optional<ImpossibleObservation> FindImpossibleObservation(const KeyPartition& partition);

// The same over `ops` (in call order, ids below `value_count`: a partition's
// ops or a subset of them, some made indeterminate, as the explanation's
// trials are) from `initial_state`, kAbsent or kUnknownValue. From an
// unknown start the key may have held the value all along, so an
// observation is impossible only if, besides, a write that surely took
// effect (a completed PUT, DELETE or successful CAS) returned before the
// observer was called: it replaced whatever the key held with another value.
std::optional<ImpossibleObservation> FindImpossibleObservation(absl::Span<const PartitionOp> ops,
                                                               size_t value_count,
                                                               RegisterState initial_state);

}  // namespace kv::properties
