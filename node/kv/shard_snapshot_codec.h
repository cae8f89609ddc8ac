#pragma once
// The data of a shard's Raft snapshot: the storage layer's checksummed shard
// snapshot chunks (storage/shard_snapshot.h), each prefixed with its length
// (4 bytes, little-endian). Layer: node.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/state_machine_storage.h"

namespace kv::node {

// Reads a consistent snapshot of `shard` and encodes it.
[[nodiscard]] absl::StatusOr<std::string> EncodeShardSnapshot(storage::StateMachineStorage& storage,
                                                              storage::ShardId shard);

// Decodes and verifies snapshot data. Errors: kInvalidArgument or kDataLoss
// for truncated, reordered or corrupt data; nothing partial is returned.
[[nodiscard]] absl::StatusOr<storage::ShardImage> DecodeShardSnapshot(absl::string_view data);

}  // namespace kv::node
