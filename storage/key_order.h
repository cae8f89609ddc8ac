#pragma once
// SortByKey: sorts items by a string key, in std::string's order, faster
// than comparing the strings. Layer: storage/.
//
// A simulated shard sorts its keys every time it is read whole: at every
// log compaction, which some seeds make several times a second per shard.
// Comparing std::strings there (a memcmp call per comparison, and the two
// sizes) was half the cost of taking the snapshot. Here each key's first 16
// bytes are loaded once, as two big-endian words padded with zeros, and
// most comparisons are two integer compares; the strings themselves are
// compared only when both keys are longer than 16 bytes and agree on those.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kv::storage {

namespace key_order_internal {

// The first 16 bytes of `key` as two big-endian words, zero-padded: two
// keys' words compare as their first 16 bytes do under std::string order,
// except that a key and the same key followed by zero bytes tie.
struct KeyPrefix {
  uint64_t high = 0;
  uint64_t low = 0;
};

inline KeyPrefix PrefixOf(absl::string_view key) {
  char bytes[16] = {};
  std::memcpy(bytes, key.data(), std::min<size_t>(key.size(), sizeof(bytes)));
  uint64_t high = 0;
  uint64_t low = 0;
  std::memcpy(&high, bytes, 8);
  std::memcpy(&low, bytes + 8, 8);
  return KeyPrefix{__builtin_bswap64(high), __builtin_bswap64(low)};
}

}  // namespace key_order_internal

// Sorts `items` so that key_of(item) ascends in std::string order.
// key_of(item) returns an absl::string_view of bytes that stay put while
// the items move (items are pointers to where the keys live).
template <typename T, typename KeyOf>
void SortByKey(std::vector<T*>& items, KeyOf key_of) {
  struct Keyed {
    key_order_internal::KeyPrefix prefix;
    absl::string_view key;
    T* item;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(items.size());
  for (T* item : items) {
    const absl::string_view key = key_of(item);
    keyed.push_back(Keyed{key_order_internal::PrefixOf(key), key, item});
  }
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.prefix.high != b.prefix.high) return a.prefix.high < b.prefix.high;
    if (a.prefix.low != b.prefix.low) return a.prefix.low < b.prefix.low;
    // The first 16 bytes agree (up to zero padding). If either key ends
    // within them, the shorter is a prefix of the other: it comes first.
    if (a.key.size() <= 16 || b.key.size() <= 16) return a.key.size() < b.key.size();
    return a.key.substr(16) < b.key.substr(16);
  });
  for (size_t i = 0; i < items.size(); ++i) items[i] = keyed[i].item;
}

}  // namespace kv::storage
