#pragma once
// Deterministic hashing for the run digest. Layer: sim.
//
// absl::Hash and std::hash are not usable here: absl salts per process and
// std::hash is implementation-defined. These functions are fixed by us, so a
// digest printed today means the same run on any machine tomorrow.

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "node/env/random.h"

namespace kv::sim {

// Hashes a byte string. Processes 8 bytes per step.
inline uint64_t HashBytes(absl::string_view bytes) {
  uint64_t h = 0x243f6a8885a308d3ULL ^ (bytes.size() * 0x9e3779b97f4a7c15ULL);
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  return env::Mix64(h, tail);
}

// A running digest: an order-sensitive fold of 64-bit values.
class Digest {
 public:
  void Fold(uint64_t value) { state_ = env::Mix64(state_, value); }
  uint64_t value() const { return state_; }

 private:
  uint64_t state_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace kv::sim
