#pragma once
// ValueIndex: where each key's current value lies in a simulated shard's
// journal (SimStateMachineStorage), as a hash map from key to the file span
// of its Put cell. Layer: storage/.
//
// Every applied command looks its key up here twice (its read, then its
// write), with keys of a few bytes. absl's string hash is a call per lookup,
// and its key comparison a call to memcmp around which the probe loop saves
// and restores its registers; both showed in the simulator's profile. Here
// the hash (ValueKeyHash64) and the comparison (SameBytes) are inline.
// The hash decides nothing observable: the index is never iterated for what
// it does (SimStateMachineStorage sorts the keys when it reads them all).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "node/env/stable_hash.h"
#include "storage/coding.h"
#include "storage/sim_log_records.h"

namespace kv::storage {

// Whether `a` and `b` hold the same bytes. Up to 16 bytes, as keys are, by
// comparing the first and the last 8 (or 4) bytes of each, which overlap
// when shorter, without a call; longer ones go to memcmp. Always inline:
// once the hash below got shorter, GCC left it a call from GetInto's check
// of the cell it read (0.5M instructions of calls per standard run).
[[gnu::always_inline]] inline bool SameBytes(absl::string_view a, absl::string_view b) {
  const size_t size = a.size();
  if (size != b.size()) return false;
  const char* const x = a.data();
  const char* const y = b.data();
  if (size >= 8) {
    if (size > 16) return std::memcmp(x, y, size) == 0;
    return ((DecodeFixed64(x) ^ DecodeFixed64(y)) |
            (DecodeFixed64(x + size - 8) ^ DecodeFixed64(y + size - 8))) == 0;
  }
  if (size >= 4) {
    return ((DecodeFixed32(x) ^ DecodeFixed32(y)) |
            (DecodeFixed32(x + size - 4) ^ DecodeFixed32(y + size - 4))) == 0;
  }
  if (size == 0) return true;
  // One to three bytes: the first, the middle and the last cover them all.
  return x[0] == y[0] && x[size / 2] == y[size / 2] && x[size - 1] == y[size - 1];
}

// The index's hash of `key`. Keys of up to 16 bytes (every key of the
// standard scenario: "d" and a user key of a few bytes, or a 9-byte session
// key) are read as two words, the first and the last 8 (or 4) bytes, which
// overlap when shorter, as SameBytes reads them; the words and the size go
// through one 64x64->128-bit multiply whose halves are folded together
// (wyhash's "mum"), which mixes every input bit into both the low bits and
// the high bits that the hash map uses. About a quarter of
// env::StableHash64's instructions for such keys, whose word loop and
// splitmix finish cost ~48 per lookup, twice per applied command. Longer
// keys go to env::StableHash64. Stable across processes, though nothing
// depends on that (see the file comment).
inline uint64_t ValueKeyHash64(absl::string_view key) {
  const size_t size = key.size();
  const char* const p = key.data();
  uint64_t first = 0;
  uint64_t last = 0;
  if (size >= 8) {
    if (size > 16) [[unlikely]] return env::StableHash64(key);
    first = DecodeFixed64(p);
    last = DecodeFixed64(p + size - 8);
  } else if (size >= 4) {
    first = DecodeFixed32(p);
    last = DecodeFixed32(p + size - 4);
  } else if (size > 0) {
    // One to three bytes: the first, the middle and the last cover them all.
    first = static_cast<uint8_t>(p[0]) | uint64_t{static_cast<uint8_t>(p[size / 2])} << 8 |
            uint64_t{static_cast<uint8_t>(p[size - 1])} << 16;
  }
  const unsigned __int128 product =
      static_cast<unsigned __int128>(first ^ size ^ 0x243f6a8885a308d3ULL) *
      (last ^ 0x9e3779b97f4a7c15ULL);
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

// The index's hash and key equality. Transparent, so that lookups and
// inserts take a string_view without building a std::string.
struct ValueKeyHash {
  using is_transparent = void;
  size_t operator()(absl::string_view key) const { return ValueKeyHash64(key); }
};
struct ValueKeyEq {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const { return SameBytes(a, b); }
};

// Key -> file span of the Put cell holding its current value.
using ValueIndex = absl::flat_hash_map<std::string, Span, ValueKeyHash, ValueKeyEq>;

}  // namespace kv::storage
