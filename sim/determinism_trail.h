#pragma once
// Determinism trail: the run digest and the random-draw tally after every
// event, so two runs of one seed can be compared event by event and the
// first point where they part named. Layer: sim.
//
// A run records a trail only when asked (`kvsim run --trail F`); the
// determinism check (`kvsim determinism`) runs each sampled seed twice in
// fresh processes (different address layouts) and compares their trails.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/env/types.h"

namespace kv::sim {

struct TrailPoint {
  uint64_t event = 0;         // 1 for the first processed event.
  env::TimeNs time_ns = 0;    // Simulated time of the event.
  uint64_t event_digest = 0;  // Scheduler digest after the event.
  uint64_t draws = 0;         // Random draws so far (all streams).
  uint64_t draw_digest = 0;   // Digest of every draw so far.
  friend bool operator==(const TrailPoint&, const TrailPoint&) = default;
};

// Writes `trail` to `path` (a small binary file with a magic header).
// Errors: kUnavailable if the file cannot be written.
[[nodiscard]] absl::Status WriteTrail(const std::string& path, const std::vector<TrailPoint>& trail);

// Reads a file written by WriteTrail.
// Errors: kNotFound if it cannot be opened; kDataLoss if it is not a trail.
[[nodiscard]] absl::StatusOr<std::vector<TrailPoint>> ReadTrail(const std::string& path);

struct Divergence {
  uint64_t event = 0;        // The first event that differs (or is missing).
  env::TimeNs time_ns = 0;   // Its simulated time in the first trail.
  std::string description;   // In words: where, and what parted first.
};

// Where two trails first differ (the event, its simulated time, and whether
// the event order or the random draws parted first), or nullopt if they are
// identical.
std::optional<Divergence> FindFirstDivergence(const std::vector<TrailPoint>& a,
                                              const std::vector<TrailPoint>& b);

}  // namespace kv::sim
