#pragma once
// Deterministic hashing for the run digest. Layer: sim.
//
// absl::Hash and std::hash are not usable here: absl salts per process and
// std::hash is implementation-defined. These functions are fixed by us, so a
// digest printed today means the same run on any machine tomorrow.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "node/env/random.h"
#include "node/env/stable_hash.h"

namespace kv::sim {

// Hashes a byte string: exactly env::StableHash64(bytes) (the project's one
// stable hash), computed faster for strings of 8 bytes or more, such as
// the message the network hashes for every delivery's digest tag. Their
// last 1-7 bytes are the top of their last 8, read with one load and one
// shift, where StableHash64 assembles them from 4-, 2- and 1-byte pieces
// (digest_test pins the two to the same values).
inline uint64_t HashBytes(absl::string_view bytes) {
  const size_t size = bytes.size();
  if (size < 8) return env::StableHash64(bytes);
  const char* const begin = bytes.data();
  const char* const words_end = begin + (size & ~size_t{7});
  uint64_t h = 0x243f6a8885a308d3ULL ^ (size * 0x9e3779b97f4a7c15ULL);
  for (const char* p = begin; p != words_end; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  // Little-endian, as StableHash64: the last `rest` bytes are the high
  // bytes of the word that ends the string.
  const unsigned rest = size & 7;
  uint64_t last_word;
  std::memcpy(&last_word, begin + size - 8, 8);
  const uint64_t tail = rest == 0 ? 0 : last_word >> (64 - 8 * rest);
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
