#pragma once
// Key layout of the RocksDB backend. Layer: storage/ (RocksDB backend).
// Ids and indexes are big-endian so that byte order is numeric order, and
// every key starts with its group or shard id, which isolates groups and
// shards from each other and keeps each one's keys contiguous.
//
// "raft_log" family:  [group u64]['b']              log base (compaction point)
//                     [group u64]['h']              hard state
//                     [group u64]['s']              snapshot metadata
//                     [group u64]['d'][chunk u64]   snapshot data, in chunks
//                     [group u64]['e'][index u64]   entries
// "kv_state" family:  [shard u64]['a']              applied index
//                     [shard u64]['k'][user key]    values

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/coding.h"
#include "storage/types.h"

namespace kv::storage::rocks_keys {

inline constexpr char kBase = 'b';
inline constexpr char kHardState = 'h';
inline constexpr char kSnapshot = 's';
inline constexpr char kSnapshotData = 'd';
inline constexpr char kEntry = 'e';
inline constexpr char kApplied = 'a';
inline constexpr char kValue = 'k';

// [id][tag]
inline std::string Tagged(uint64_t id, char tag) {
  std::string key;
  key.reserve(17);
  PutBigEndian64(key, id);
  key.push_back(tag);
  return key;
}

// [id][tag][number]
inline std::string Numbered(uint64_t id, char tag, uint64_t number) {
  std::string key = Tagged(id, tag);
  PutBigEndian64(key, number);
  return key;
}

// [shard]['k'][user key]
inline std::string Value(ShardId shard, absl::string_view user_key) {
  std::string key = Tagged(shard, kValue);
  key.append(user_key.data(), user_key.size());
  return key;
}

// The number at the end of a Numbered key.
inline uint64_t NumberOf(absl::string_view key) { return DecodeBigEndian64(key.data() + 9); }

}  // namespace kv::storage::rocks_keys
