#pragma once
// Plain value types shared by every env interface: node ids and time units.
// Layer: node/env (absl only).

#include <cstdint>

namespace kv::env {

// Identifies a node of the cluster. Dense, starting at 0 in the simulator;
// taken from the cluster configuration in a real node.
using NodeId = uint32_t;

// Time on a node's monotonic clock, in nanoseconds since an arbitrary origin
// fixed for the node's lifetime. Never decreases.
using TimeNs = int64_t;

// A span of time in nanoseconds.
using DurationNs = int64_t;

inline constexpr DurationNs kMicrosecond = 1'000;
inline constexpr DurationNs kMillisecond = 1'000'000;
inline constexpr DurationNs kSecond = 1'000'000'000;

}  // namespace kv::env
