#pragma once
// RocksDb: the one RocksDB instance of a real node, shared by its Raft logs
// (RocksLogStorage) and its shards (RocksStateMachineStorage). Layer:
// storage/ (RocksDB backend; never runs under the simulator).
//
// Column families, one per purpose, so that each gets options that fit it:
//   "raft_log"  entries, hard states, snapshot metadata and data, per group.
//               Append-mostly and deleted by range on compaction.
//   "kv_state"  the shards' key-value pairs and applied indexes. Point reads
//               (bloom filters) and range scans for snapshots.
// The WAL is shared, so a node's writes of both kinds share its fsyncs.
// Options are chosen in rocks_db.cc; docs/storage.md explains them.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/env/executor.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/rocks_syncer.h"

namespace kv::storage {

struct RocksDbOptions {
  // The data directory. Created if missing.
  std::string path;
  // Shared LRU block cache for both column families.
  uint64_t block_cache_bytes = 64ull << 20;
  // Memtable size of each column family.
  uint64_t write_buffer_bytes = 32ull << 20;
  // Background flush and compaction threads.
  int background_jobs = 2;
};

class RocksDb {
 public:
  // Opens (creating if needed) the database at options.path and starts the
  // syncer. Errors: those of RocksDB (rocks_status.h), e.g. kDataLoss for a
  // corrupt database, kUnavailable for an I/O error: the node must not start.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RocksDb>> Open(const RocksDbOptions& options);

  // Completes outstanding sync requests, then closes the database. Every
  // storage using this database must have been destroyed.
  ~RocksDb();
  RocksDb(const RocksDb&) = delete;
  RocksDb& operator=(const RocksDb&) = delete;

  // Applies `batch` atomically, without waiting for a sync. `what` names the
  // operation in errors.
  [[nodiscard]] absl::Status Write(rocksdb::WriteBatch& batch, absl::string_view what);

  // After the next WAL sync, posts on_done(sync status) onto `executor`.
  // `lazy`: see RocksSyncer::RequestSync.
  void SyncThen(env::Executor& executor, env::OnDone on_done, bool lazy = false) {
    syncer_->RequestSync(executor, std::move(on_done), lazy);
  }

  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* log_family() { return families_[1]; }
  rocksdb::ColumnFamilyHandle* state_family() { return families_[2]; }
  RocksSyncer& syncer() { return *syncer_; }
  const std::string& path() const { return path_; }

 private:
  RocksDb() = default;

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  // [default, raft_log, kv_state]; owned, destroyed before db_.
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  std::unique_ptr<RocksSyncer> syncer_;
};

}  // namespace kv::storage
