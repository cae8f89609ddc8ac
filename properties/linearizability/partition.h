#pragma once
// P-compositionality (Herlihy & Wing; Porcupine's Model.Partition): a history
// of single-key operations is linearizable iff every key's sub-history is. So
// the checker splits the history by key and searches each key alone, with a
// register model whose state is one interned value. Layer: properties/.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "properties/linearizability/history.h"
#include "properties/linearizability/register_model.h"

namespace kv::properties {

// The return time of an operation that never returned: after everything.
inline constexpr int64_t kNeverReturnedNs = std::numeric_limits<int64_t>::max();

// One operation of a partition.
struct PartitionOp {
  RegisterOp op;
  int64_t call_ns = 0;
  // kNeverReturnedNs when the operation timed out. Invariant: call_ns <= return_ns.
  int64_t return_ns = 0;
  // Index of the operation in the full history.
  size_t history_index = 0;
};

// One key's sub-history. Invariant: values[0] is unused (kAbsent); every id in
// ops is below values.size().
struct KeyPartition {
  std::string key;
  // In call order (ties in history order).
  std::vector<PartitionOp> ops;
  // values[id] is the value an interned id stands for. Views of the
  // history's strings: a value copied per write showed, and the checker
  // holds the history throughout.
  std::vector<absl::string_view> values;
};

// Splits a validated history (ValidateHistory is OK) by key, returned in
// ascending key order so that the check visits keys deterministically.
// Timed-out GETs are dropped: they change nothing and their output is not
// checked, so they cannot affect the verdict, only slow the search. The
// partitions' values view `history`'s strings: StateValue() needs the
// history alive and unchanged.
std::vector<KeyPartition> PartitionByKey(absl::Span<const Operation> history);
// As above, with the keys numbered by the caller: key_ids[i] is the number
// of history[i]'s key, the same for every operation of a key and different
// for different keys (a recorder that keeps a handle per key has these), so
// that no key is hashed. A table as long as the largest number is made, so
// the numbers should be small. Same result; empty key_ids: as above.
// Precondition:
// key_ids is empty or as long as the history; a number shared by
// different keys, or
// keys under different numbers, fail a check.
std::vector<KeyPartition> PartitionByKey(absl::Span<const Operation> history, absl::Span<const uint32_t> key_ids);

// The value an interned state stands for, for reports.
std::optional<std::string> StateValue(const KeyPartition& partition, RegisterState state);

}  // namespace kv::properties
