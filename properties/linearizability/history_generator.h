#pragma once
// Generates KV histories that are linearizable by construction, for the
// checker's property tests and benchmark. Layer: properties/ (test support;
// the checker itself does not link it).
//
// Operations are executed one at a time against a true sequential map, at
// strictly increasing linearization points; each operation's real-time
// interval is then drawn around its point (call <= point <= return), with
// one client per concurrent slot, so intervals overlap as in a real run but
// the true order is always consistent with real time.

#include <cstdint>
#include <vector>

#include "properties/linearizability/history.h"

namespace kv::properties {

struct HistoryShape {
  int32_t operation_count = 1000;
  // Keys are "k0".."k<key_count-1>". Must be >= 1.
  int32_t key_count = 10;
  // Clients issue one operation at a time each; this bounds the number of
  // operations in flight (the concurrency). Must be >= 1.
  int32_t client_count = 10;
  // Each operation's call precedes its linearization point, and its return
  // follows it, by a uniform delay in [0, max_latency_ns]. Must be >= 0.
  int64_t max_latency_ns = 1000;
  // Values written are drawn from "v0".."v<value_count-1>"; 0 means every
  // write has a fresh value. Few values make reads ambiguous (harder to check).
  int32_t value_count = 0;
  // Fraction of operations that time out, in parts per million. Half of
  // those take effect and half do not; either way the client never learns.
  uint32_t timeout_ppm = 0;
};

// A linearizable history of shape.operation_count operations, in call order.
// The same seed and shape give the same history.
std::vector<Operation> GenerateLinearizableHistory(uint64_t seed, const HistoryShape& shape);

}  // namespace kv::properties
