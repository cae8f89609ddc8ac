#pragma once
// SweepSeeds: the seeds a sweep process runs, from its range and its slice.
// Layer: sim (kvsim sweep's, raft-sweep's and determinism's driver).
//
// A range may span all of uint64; a sweep holds its seeds in a list, so the
// count is worked out first, in closed form, and refused above a cap with
// the advice to slice it, rather than growing a list until memory runs out
// (or walking 2^64 seeds to find the few of a thin slice).

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::sim {

// The most seeds one sweep process takes: at about 25 seeds per second per
// core for the default shape, days of work; 80 MB of list.
inline constexpr uint64_t kMaxSweepSeeds = 10'000'000;

// The range a seed flag gives: "A..B" or "A" (non-negative integers, A <= B),
// with errors that name `--flag`. One parser for every command that takes
// seeds, so that they accept and refuse the same texts.
absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseSeedRange(absl::string_view flag, absl::string_view text);

// How many of first..last (inclusive, first <= last) fall in slice k of n
// (1 <= k <= n): the seeds s with (s - first) % n == k - 1. 128 bits: the
// whole of 0..2^64-1 holds 2^64.
unsigned __int128 SweepSeedCount(uint64_t first, uint64_t last, uint64_t k, uint64_t n);

// Those seeds, in order; an error naming the count if it exceeds
// kMaxSweepSeeds. The slice 1/1 is the whole range.
absl::StatusOr<std::vector<uint64_t>> SweepSeeds(uint64_t first, uint64_t last, uint64_t k = 1, uint64_t n = 1);

// `sample` seeds spread evenly over first..last (first + i * span / sample),
// or all of them when sample is 0 or covers the range; the same cap.
absl::StatusOr<std::vector<uint64_t>> SampleSeeds(uint64_t first, uint64_t last, uint64_t sample);

}  // namespace kv::sim
