#pragma once
// StableHash64: a hash of bytes that is the same in every process, build and
// machine. Layer: node/env.
//
// absl::Hash is salted per process and std::hash is implementation-defined,
// so neither may decide anything that must be reproducible: key placement on
// the shard ring, run digests, checksums in toy protocols.

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "node/env/random.h"

namespace kv::env {

// Hashes `bytes`, 8 bytes per step, finishing with a splitmix64 mix.
inline uint64_t StableHash64(absl::string_view bytes, uint64_t seed = 0) {
  uint64_t h = 0x243f6a8885a308d3ULL ^ seed ^ (bytes.size() * 0x9e3779b97f4a7c15ULL);
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
  if (n > 0) std::memcpy(&tail, p, n);
  return Mix64(h, tail);
}

}  // namespace kv::env
