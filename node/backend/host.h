#pragma once
// Host facts for the command-line drivers that are not simulated code: the
// sweep's progress clock and a place for temporary files. Layer: node/backend
// (the real side of the env seam; simulated code never calls these).

#include <string>

namespace kv::backend {

// Seconds on the host's monotonic clock (for progress and rates only).
double HostMonotonicSeconds();

// $TMPDIR if set and non-empty, else /tmp.
std::string HostTempDirectory();

}  // namespace kv::backend
