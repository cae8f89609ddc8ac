#pragma once
// The client history a linearizability check reads: one record per KV
// operation, with its inputs, its outputs and the real-time interval in which
// it ran. Layer: properties/ (reads histories, changes nothing).
//
// The simulator's client driver records these; the checker
// (linearizability_checker.h) decides whether some total order of them,
// consistent with real time, is legal for one register per key.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace kv::properties {

// The operations a client can issue against one key.
enum class OpKind : uint8_t {
  kGet,     // Reads the value; output: the value or absent.
  kPut,     // Writes `value`; always succeeds.
  kDelete,  // Makes the key absent; always succeeds.
  kCas,     // If the value equals `expected`, writes `value`; output: whether it did.
};

// One client operation. Times are integer nanoseconds of one (simulated)
// clock. Invariant for a valid history: call_ns <= return_ns when completed.
struct Operation {
  // Who issued it; only printed, never used to order operations.
  int64_t client_id = 0;
  std::string key;
  OpKind kind = OpKind::kGet;
  // Input: the value PUT writes, or the value CAS writes when it succeeds.
  // Unused (empty) for GET and DELETE.
  std::string value;
  // Input of CAS: the value it expects to find; nullopt expects "absent".
  std::optional<std::string> expected;
  // False when no reply came back (timeout, crash): the operation may or may
  // not have taken effect, at any time after its call. Its outputs are not
  // checked and its return counts as +infinity.
  bool completed = true;
  // Output of a completed GET: the value read, nullopt if the key was absent.
  std::optional<std::string> read_value;
  // Output of a completed CAS: whether it wrote.
  bool cas_succeeded = false;
  // When the client sent the request.
  int64_t call_ns = 0;
  // When the client received the reply. Ignored when !completed.
  int64_t return_ns = 0;
};

// Builders for completed operations; they make tests and recorders short.
Operation MakeGet(int64_t client_id, std::string key, std::optional<std::string> read_value,
                  int64_t call_ns, int64_t return_ns);
Operation MakePut(int64_t client_id, std::string key, std::string value, int64_t call_ns,
                  int64_t return_ns);
Operation MakeDelete(int64_t client_id, std::string key, int64_t call_ns, int64_t return_ns);
Operation MakeCas(int64_t client_id, std::string key, std::optional<std::string> expected,
                  std::string value, bool succeeded, int64_t call_ns, int64_t return_ns);

// Returns `operation` marked as timed out (indeterminate): outputs cleared,
// return time ignored.
Operation TimedOut(Operation operation);

// Checks that every operation is well formed: a known kind, a return no
// earlier than its call, no outputs on a timed-out operation, and inputs only
// where the kind uses them. Returns kInvalidArgument naming the first bad
// operation's index and the problem.
[[nodiscard]] absl::Status ValidateHistory(absl::Span<const Operation> history);

// One line, for reports, e.g.
//   `c3 CAS k7 "a"->"b" = true  [1200, 1350]` or `c1 GET k1 = absent  [5, +inf) timed out`.
std::string FormatOperation(const Operation& operation);

// "absent" or the value in double quotes.
std::string FormatValue(const std::optional<std::string>& value);

}  // namespace kv::properties
