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

// Hashes a byte string for the run digest: the project's one stable hash.
// `seed` tells apart equal bytes in different places (the ends of a message).
inline uint64_t HashBytes(absl::string_view bytes, uint64_t seed = 0) { return env::StableHash64(bytes, seed); }

// A running digest: an order-sensitive fold of 64-bit values.
class Digest {
 public:
  void Fold(uint64_t value) { state_ = env::FoldDigest64(state_, value); }
  uint64_t value() const { return state_; }

 private:
  uint64_t state_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace kv::sim
