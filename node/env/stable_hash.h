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
  const size_t size = bytes.size();
  uint64_t h = 0x243f6a8885a308d3ULL ^ seed ^ (size * 0x9e3779b97f4a7c15ULL);
  const char* const begin = bytes.data();
  const char* const words_end = begin + (size & ~size_t{7});
  for (const char* p = begin; p != words_end; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  // The last 0-7 bytes as the number a memcpy of them into a zeroed word
  // gives on a little-endian host (stable_hash_test pins the values). In a
  // string of 8 bytes or more they are the high bytes of its last 8, read
  // with one load and a shift (every message the simulator delivers is
  // hashed for its event tag); shorter ones are read in 4/2/1-byte pieces,
  // as a memcpy of a variable length compiles to a byte loop.
  const unsigned rest = size & 7;
  if (rest == 0) return Mix64(h, 0);
  if (size >= 8) {
    uint64_t last_word;
    std::memcpy(&last_word, begin + size - 8, 8);
    return Mix64(h, last_word >> (64 - 8 * rest));
  }
  const char* p = begin;
  uint64_t tail = 0;
  int shift = 0;
  if (rest & 4) {
    uint32_t piece;
    std::memcpy(&piece, p, 4);
    tail = piece;
    p += 4;
    shift = 32;
  }
  if (rest & 2) {
    uint16_t piece;
    std::memcpy(&piece, p, 2);
    tail |= uint64_t{piece} << shift;
    p += 2;
    shift += 16;
  }
  if (rest & 1) tail |= uint64_t{static_cast<uint8_t>(*p)} << shift;
  return Mix64(h, tail);
}

}  // namespace kv::env
