#pragma once
// RocksHarness: the RocksDB backend in a fresh temporary directory, for the
// conformance suites. Layer: storage/ tests only.
//
// Crash() closes the database without waiting for anyone and drops pending
// completions: a process crash. RocksDB has already handed every write to
// the OS, so unsynced writes survive it; power loss is tested by the fork +
// SIGKILL test and modelled fully only by the simulated disk.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "storage/rocks_db.h"
#include "storage/rocks_log_storage.h"
#include "storage/rocks_state_machine_storage.h"
#include "storage/testing/rocks_test_executor.h"
#include "storage/testing/storage_harness.h"

namespace kv::storage::testing {

// A fresh directory under $TEST_TMPDIR or /tmp, removed when destroyed.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/kv_storage_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  // Adopts the existing directory `path`, which it leaves in place.
  explicit TempDir(std::string path) : path_(std::move(path)), owned_(false) {}
  ~TempDir() {
    if (!owned_) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = true;
};

class RocksHarness final : public StorageHarness {
 public:
  static constexpr const char* kName = "Rocks";
  static constexpr bool kCrashLosesUnsynced = false;

  explicit RocksHarness(uint64_t seed = 1) {}
  // Over the database another harness made in `existing_dir` (which it
  // leaves in place): a crash test's writer, in a process of its own.
  explicit RocksHarness(const std::string& existing_dir) : dir_(existing_dir) {}
  ~RocksHarness() override { CloseDb(); }

  absl::StatusOr<std::unique_ptr<LogStorage>> OpenLog(GroupId group) override {
    absl::Status opened = EnsureOpen();
    if (!opened.ok()) return opened;
    auto storage = RocksLogStorage::Open(*db_, executor_, group);
    if (!storage.ok()) return storage.status();
    return std::unique_ptr<LogStorage>(*std::move(storage));
  }
  absl::StatusOr<std::unique_ptr<StateMachineStorage>> OpenStateMachine() override {
    absl::Status opened = EnsureOpen();
    if (!opened.ok()) return opened;
    auto storage = RocksStateMachineStorage::Open(*db_, executor_);
    if (!storage.ok()) return storage.status();
    return std::unique_ptr<StateMachineStorage>(*std::move(storage));
  }
  bool RunUntil(absl::FunctionRef<bool()> done) override { return executor_.RunUntil(done); }
  void Drain() override {
    if (db_ != nullptr) db_->syncer().WaitIdle();
    executor_.RunPending();
  }
  void RunSome(int steps) override { executor_.RunPending(); }
  void HoldSyncs(bool held) override {
    if (db_ != nullptr) db_->syncer().SetHeldForTesting(held);
  }
  void Crash() override {
    CloseDb();
    executor_.DropAll();
  }
  int64_t sync_count() const override {
    return syncs_before_ + (db_ != nullptr ? db_->syncer().sync_count() : 0);
  }

  RocksDb* db() { return db_.get(); }
  const std::string& path() const { return dir_.path(); }
  RocksTestExecutor& executor() { return executor_; }
  // Closes the database (after a clean drain, not a crash).
  void CloseDb() {
    if (db_ == nullptr) return;
    syncs_before_ += db_->syncer().sync_count();
    db_.reset();
  }
  [[nodiscard]] absl::Status EnsureOpen() {
    if (db_ != nullptr) return absl::OkStatus();
    RocksDbOptions options;
    options.path = dir_.path();
    // Small memtables and cache: tests should not need much memory, and
    // flushes then happen in tests too.
    options.write_buffer_bytes = 1 << 20;
    options.block_cache_bytes = 4 << 20;
    auto db = RocksDb::Open(options);
    if (!db.ok()) return db.status();
    db_ = *std::move(db);
    return absl::OkStatus();
  }

 private:
  TempDir dir_;
  RocksTestExecutor executor_;
  std::unique_ptr<RocksDb> db_;
  int64_t syncs_before_ = 0;
};

}  // namespace kv::storage::testing
