#pragma once
// Target: what kvbench sends requests to, behind one interface so that the
// same workload drives our cluster (native protocol or RESP) and a stock
// redis-server. Layer: bench.

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"

namespace kv::bench {

enum class OpType { kGet = 0, kPut = 1 };
inline constexpr int kOpTypeCount = 2;
inline const char* OpName(OpType op) { return op == OpType::kGet ? "get" : "put"; }

enum class Outcome { kOk, kNotFound, kError, kTimeout };

class Target {
 public:
  using Done = absl::AnyInvocable<void(Outcome outcome)>;
  virtual ~Target() = default;

  // Concurrency units: slot i may have one request in flight at a time.
  virtual int slot_count() const = 0;
  // Sends one request on `slot`, which has none in flight. `done` runs once,
  // on the loop thread (possibly inside Issue, for a request refused at
  // once). `value` must stay valid until Issue returns.
  virtual void Issue(int slot, OpType op, const std::string& key, const std::string& value,
                     Done done) = 0;
  // One line naming the target, for the report.
  virtual std::string Describe() const = 0;
};

}  // namespace kv::bench
