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
  // The last 0-7 bytes as the number a memcpy of n bytes into a zeroed word
  // gives on a little-endian host, read in 4/2/1-byte pieces: a memcpy of a
  // variable length compiles to a byte loop (stable_hash_test pins equality).
  uint64_t tail = 0;
  int shift = 0;
  if (n & 4) {
    uint32_t piece;
    std::memcpy(&piece, p, 4);
    tail = piece;
    p += 4;
    shift = 32;
  }
  if (n & 2) {
    uint16_t piece;
    std::memcpy(&piece, p, 2);
    tail |= uint64_t{piece} << shift;
    p += 2;
    shift += 16;
  }
  if (n & 1) tail |= uint64_t{static_cast<uint8_t>(*p)} << shift;
  return Mix64(h, tail);
}

}  // namespace kv::env
