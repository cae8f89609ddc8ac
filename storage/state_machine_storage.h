#pragma once
// StateMachineStorage: the durable key-value state of the shards on a node.
// Layer: storage/.
//
// Implementations: RocksStateMachineStorage (storage/rocks_state_machine_storage.h)
// and SimStateMachineStorage (storage/sim_state_machine_storage.h), held to one
// conformance suite. One instance serves all shards of a node; shards are
// isolated from each other (a key prefix or file per shard).
//
// Each shard records the index of the last Raft entry applied to it, in the
// same atomic write as the entry's mutations, so a restarted node resumes
// applying exactly after it: no entry is applied twice or skipped.
//
// Write contract (Apply, InstallSnapshot): as for LogStorage (log_storage.h):
// visible to reads when the call returns, durable when `on_done(OK)` runs on
// the executor (never inline), completions in issue order with group commit,
// each write atomic, and after any I/O error the storage is unusable and
// every later write fails. Reads (Get, ReadSnapshot) fail too from then on:
// a failed write may have left a shard without a batch the node already
// counts as applied, and serving from it would return stale values. After
// a crash, writes that completed OK are there; of the others, each shard
// keeps a prefix of its own writes in issue order (shards are independent:
// the simulated disk keeps one file per shard).
// Not thread-safe: call from the node's logic thread only.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "node/env/executor.h"
#include "storage/shard_snapshot.h"
#include "storage/types.h"

namespace kv::storage {

class StateMachineStorage {
 public:
  virtual ~StateMachineStorage() = default;

  // Applies `mutations` in order and sets the shard's applied index to
  // `applied_index`, in one atomic write. A shard that does not exist yet is
  // created. `mutations` is read during the call only, so that a caller may
  // keep one vector for all its batches. Errors: kFailedPrecondition if
  // applied_index <= AppliedIndex(shard).
  virtual void Apply(ShardId shard, uint64_t applied_index, absl::Span<const Mutation> mutations,
                     env::OnDone on_done) = 0;

  // The value stored under `key` in `shard`, or nullopt if there is none.
  // Errors: kDataLoss if the stored value fails its checksum.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> Get(ShardId shard,
                                                                       absl::string_view key) = 0;

  // The same into `value`, reusing its buffer: true if found (`value` holds
  // it), false if not (`value` unchanged). For callers that read a key per
  // command: a fresh string per read was an allocation per applied command.
  // This default goes through Get; a storage may read in place.
  [[nodiscard]] virtual absl::StatusOr<bool> GetInto(ShardId shard, absl::string_view key,
                                                     std::string& value) {
    absl::StatusOr<std::optional<std::string>> stored = Get(shard, key);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return false;
    value = **std::move(stored);
    return true;
  }

  // The shard's applied index; 0 for a shard never written.
  virtual uint64_t AppliedIndex(ShardId shard) const = 0;

  // The shards that exist on this node, ascending.
  virtual std::vector<ShardId> Shards() const = 0;

  // A consistent point-in-time view of `shard` (its pairs and applied
  // index), to be streamed out in chunks. Writes after this call are not
  // seen by the reader. The reader must not outlive this storage.
  // Errors: kDataLoss if a stored value fails its checksum.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<ShardSnapshotReader>> ReadSnapshot(
      ShardId shard) = 0;

  // Replaces the whole content of `shard` with `image` (assembled from a
  // snapshot stream) and its applied index, in one atomic write.
  // Errors: kFailedPrecondition if image.applied_index <= AppliedIndex(shard).
  virtual void InstallSnapshot(ShardId shard, ShardImage image, env::OnDone on_done) = 0;
};

}  // namespace kv::storage
