#pragma once
// RocksLogStorage: the LogStorage of one Raft group in the node's RocksDB.
// Layer: storage/ (RocksDB backend; real nodes only).
//
// Each write is one WriteBatch (atomic), written without sync and then
// covered by the node's shared group-commit sync (rocks_syncer.h); the
// completion is posted onto the executor. Key layout: rocks_keys.h. Entry
// values are checksummed cells (records.h) verified on every read, on top of
// RocksDB's own block checksums; snapshot data is verified whole on load.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/env/executor.h"
#include "storage/log_state.h"
#include "storage/log_storage.h"
#include "storage/rocks_db.h"
#include "storage/write_gate.h"

namespace kv::storage {

class RocksLogStorage final : public LogStorage {
 public:
  // Opens the log of `group`, reading its metadata and the terms of its
  // entries (verifying each entry's checksum). `db` and `executor` must
  // outlive the storage. Errors: kDataLoss for corruption (the node must not
  // start this group; it repairs from peers), others from RocksDB.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RocksLogStorage>> Open(
      RocksDb& db, env::Executor& executor, GroupId group);

  void Write(const LogWrite& write, env::OnDone on_done) override;
  void SaveSnapshot(LogSnapshot snapshot, env::OnDone on_done) override;
  void Compact(uint64_t index, env::OnDone on_done) override;

  HardState hard_state() const override { return state_.hard_state(); }
  uint64_t FirstIndex() const override { return state_.FirstIndex(); }
  uint64_t LastIndex() const override { return state_.LastIndex(); }
  [[nodiscard]] absl::StatusOr<uint64_t> Term(uint64_t index) const override {
    return state_.Term(index);
  }
  [[nodiscard]] absl::StatusOr<std::vector<LogEntry>> Entries(uint64_t lo, uint64_t hi,
                                                              uint64_t max_bytes) override;
  SnapshotMetadata snapshot_metadata() const override { return state_.snapshot().metadata; }
  [[nodiscard]] absl::StatusOr<LogSnapshot> LoadSnapshot() override;

  // Snapshot data is stored in values of at most this size.
  static constexpr size_t kSnapshotChunkBytes = 1 << 20;

 private:
  RocksLogStorage(RocksDb& db, env::Executor& executor, GroupId group)
      : db_(db), executor_(executor), group_(group) {}

  [[nodiscard]] absl::Status Recover();
  // Writes `batch`; on failure closes the gate.
  [[nodiscard]] absl::Status Commit(rocksdb::WriteBatch& batch, absl::string_view what);
  // Completes `on_done` after the next sync, with `status` if it is an error.
  void Complete(absl::Status status, env::OnDone on_done);

  RocksDb& db_;
  env::Executor& executor_;
  const GroupId group_;
  LogState state_;
  SharedWriteGate gate_ = std::make_shared<WriteGate>();
};

}  // namespace kv::storage
