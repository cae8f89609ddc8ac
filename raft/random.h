#pragma once
// Deterministic pseudo-random generator of the Raft core (layer: raft/).
// xoshiro256** seeded through splitmix64, with a fixed range reduction, so the
// same seed gives the same sequence on every machine and standard library
// (STYLE.md section 5). The host derives the seed from its own stream.

#include <cstdint>

namespace kv::raft {

class Random {
 public:
  // Seeds the four state words from `seed` with splitmix64; any seed is valid.
  explicit Random(uint64_t seed);

  // Next 64 uniformly distributed bits.
  uint64_t Next();

  // Uniform in [0, bound). Precondition: bound >= 1. Uses Lemire's
  // multiply-shift with rejection, so there is no modulo bias.
  uint64_t Uniform(uint64_t bound);

 private:
  uint64_t state_[4];
};

}  // namespace kv::raft
