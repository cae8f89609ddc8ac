#pragma once
// RocksSyncer: group commit for a RocksDB node. Layer: storage/ (RocksDB
// backend; uses a thread, so it never runs under the simulator).
//
// Storages write with WriteOptions::sync == false (the write lands in the
// WAL file and the memtable at once, visible to reads) and then ask for a
// sync. One background thread takes every request queued so far, makes one
// DB::SyncWAL() call for all of them, and posts each callback onto its
// executor. Requests that arrive during a sync wait for the next one, so the
// number of fsyncs stays near one per sync latency whatever the write rate.
//
// After a failed sync the syncer fails every later request with that error:
// a failed fsync may have dropped dirty pages (Linux "fsyncgate"), so no
// later success can vouch for the earlier writes.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "node/env/executor.h"
#include "rocksdb/db.h"

namespace kv::storage {

class RocksSyncer {
 public:
  // `db` must outlive the syncer.
  explicit RocksSyncer(rocksdb::DB& db);
  // Completes every queued request (syncing once more), then stops.
  ~RocksSyncer();
  RocksSyncer(const RocksSyncer&) = delete;
  RocksSyncer& operator=(const RocksSyncer&) = delete;

  // Queues a request: after the next WAL sync, posts `on_done(sync status)`
  // onto `executor`, which must outlive the syncer. Thread-safe.
  // A `lazy` request does not start a sync by itself for up to
  // kLazySyncDelay: it waits to share the sync of the next eager request
  // (writes whose caller waits, e.g. a Raft log append), so writes nobody
  // waits for (state-machine applies) do not add fsyncs under load.
  void RequestSync(env::Executor& executor, env::OnDone on_done, bool lazy = false);

  // How long lazy requests alone may wait for an eager one.
  static constexpr std::chrono::milliseconds kLazySyncDelay{5};

  // Blocks until no request is queued or in flight (tests and shutdown).
  void WaitIdle();

  // Tests only: while held, requests queue up and no new sync starts, so a
  // test can show deterministically that one sync covers them all.
  void SetHeldForTesting(bool held);

  // WAL syncs performed, and sync requests made.
  int64_t sync_count() const { return sync_count_.load(std::memory_order_relaxed); }
  int64_t request_count() const { return request_count_.load(std::memory_order_relaxed); }

 private:
  struct Request {
    env::Executor* executor;
    env::OnDone on_done;
  };

  void Run();

  rocksdb::DB& db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::vector<Request> queue_;  // Guarded by mutex_.
  size_t eager_queued_ = 0;     // Non-lazy requests in queue_. Guarded by mutex_.
  bool in_flight_ = false;      // Guarded by mutex_.
  bool stopping_ = false;       // Guarded by mutex_.
  bool held_ = false;           // Guarded by mutex_.
  absl::Status failure_;        // Touched only by the syncer thread.
  std::atomic<int64_t> sync_count_{0};
  std::atomic<int64_t> request_count_{0};
  std::thread thread_;
};

}  // namespace kv::storage
