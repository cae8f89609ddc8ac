#pragma once
// The sequential specification the checker tests against: one register per
// key, holding a value or nothing. Layer: properties/.
//
// Values are interned per key into small integers (kAbsent = 0), so a model
// state is one int32: cheap to copy onto the search stack, to hash into the
// cache key and to compare exactly. Interning is done by partition.h.

#include <cstdint>
#include <optional>

#include "properties/linearizability/history.h"

namespace kv::properties {

// A register state: kAbsent, the interned id of a value, or kUnknownValue.
using RegisterState = int32_t;
inline constexpr RegisterState kAbsent = 0;
// Some value (or none) that nothing observed yet. Only the explanation
// (explanation.h) starts from it, to ask whether a conflict survives without
// assuming the key started absent. Steps from it over-approximate: whatever
// could follow some concrete value is allowed, and what is not pinned down
// stays unknown.
inline constexpr RegisterState kUnknownValue = -1;

// One operation of one key with its values interned. Invariant: the ids are
// kAbsent or ids handed out by the same key's interner.
struct RegisterOp {
  OpKind kind = OpKind::kGet;
  // PUT's value or CAS's new value; never kAbsent for those kinds.
  RegisterState value = kAbsent;
  // CAS's expected value.
  RegisterState expected = kAbsent;
  // GET's output, when completed.
  RegisterState read_value = kAbsent;
  // CAS's output, when completed.
  bool cas_succeeded = false;
  // False: indeterminate; outputs are not checked.
  bool completed = true;
};

// Applies `op` to `state`. Returns the next state, or nullopt if the op's
// recorded output is impossible in `state` (the op cannot linearize here).
// An indeterminate op always has a next state: it is only unknown whether and
// when it ran, not what it would do.
inline std::optional<RegisterState> StepRegister(RegisterState state, const RegisterOp& op) {
  switch (op.kind) {
    case OpKind::kGet:
      if (!op.completed) return state;
      if (state == kUnknownValue) return op.read_value;  // The read pins it down.
      if (op.read_value != state) return std::nullopt;
      return state;
    case OpKind::kPut:
      return op.value;
    case OpKind::kDelete:
      return kAbsent;
    case OpKind::kCas: {
      if (state == kUnknownValue) {
        // A success proves the value was op.expected; a failure or a lost
        // reply leaves it unknown (a superset of the true possibilities).
        return op.completed && op.cas_succeeded ? op.value : kUnknownValue;
      }
      const bool matches = state == op.expected;
      if (op.completed && op.cas_succeeded != matches) return std::nullopt;
      return matches ? op.value : state;
    }
  }
  return std::nullopt;  // Unreachable for a validated history.
}

}  // namespace kv::properties
