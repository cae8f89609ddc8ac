#pragma once
// RocksStateMachineStorage: the shards of a node in its RocksDB ("kv_state"
// column family, keys prefixed by shard id: rocks_keys.h). Layer: storage/
// (RocksDB backend; real nodes only).
//
// Apply is one WriteBatch holding the mutations and the new applied index.
// Values are checksummed cells that name their key (records.h), verified on
// every read. Snapshots read through a RocksDB snapshot (a sequence number),
// so the stream is point-in-time while writes continue.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/env/executor.h"
#include "storage/rocks_db.h"
#include "storage/state_machine_storage.h"
#include "storage/write_gate.h"

namespace kv::storage {

class RocksStateMachineStorage final : public StateMachineStorage {
 public:
  // Opens the shards stored in `db`, reading each applied index. `db` and
  // `executor` must outlive the storage and every snapshot reader.
  // Errors: kDataLoss for corruption, others from RocksDB.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RocksStateMachineStorage>> Open(
      RocksDb& db, env::Executor& executor);

  void Apply(ShardId shard, uint64_t applied_index, absl::Span<const Mutation> mutations,
             env::OnDone on_done) override;
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(ShardId shard,
                                                               absl::string_view key) override;
  uint64_t AppliedIndex(ShardId shard) const override;
  std::vector<ShardId> Shards() const override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<ShardSnapshotReader>> ReadSnapshot(
      ShardId shard) override;
  void InstallSnapshot(ShardId shard, ShardImage image, env::OnDone on_done) override;

 private:
  RocksStateMachineStorage(RocksDb& db, env::Executor& executor) : db_(db), executor_(executor) {}

  [[nodiscard]] absl::Status Recover();
  void Complete(absl::Status status, env::OnDone on_done, bool lazy = false);
  [[nodiscard]] absl::Status CheckApplied(ShardId shard, uint64_t applied_index) const;

  RocksDb& db_;
  env::Executor& executor_;
  // Applied index per shard, as written (visible) so far.
  std::map<ShardId, uint64_t> applied_;
  SharedWriteGate gate_ = std::make_shared<WriteGate>();
};

}  // namespace kv::storage
