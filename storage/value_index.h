#pragma once
// ValueIndex: where each key's current value lies in a simulated shard's
// journal (SimStateMachineStorage), as a hash map from key to the file span
// of its Put cell. Layer: storage/.
//
// Every applied command looks its key up here twice (its read, then its
// write), with keys of a few bytes. absl's string hash is a call per lookup,
// and its key comparison a call to memcmp around which the probe loop saves
// and restores its registers; both showed in the simulator's profile. Here
// the hash (env::StableHash64) and the comparison (SameBytes) are inline.
// The hash decides nothing observable: the index is never iterated for what
// it does (SimStateMachineStorage sorts the keys when it reads them all).

#include <cstddef>
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
// when shorter, without a call; longer ones go to memcmp.
inline bool SameBytes(absl::string_view a, absl::string_view b) {
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

// The index's hash and key equality. Transparent, so that lookups and
// inserts take a string_view without building a std::string.
struct ValueKeyHash {
  using is_transparent = void;
  size_t operator()(absl::string_view key) const { return env::StableHash64(key); }
};
struct ValueKeyEq {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const { return SameBytes(a, b); }
};

// Key -> file span of the Put cell holding its current value.
using ValueIndex = absl::flat_hash_map<std::string, Span, ValueKeyHash, ValueKeyEq>;

}  // namespace kv::storage
