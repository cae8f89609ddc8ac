#include "storage/rocks_syncer.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

#include "storage/rocks_status.h"

namespace kv::storage {

RocksSyncer::RocksSyncer(rocksdb::DB& db) : db_(db), thread_([this] { Run(); }) {}

RocksSyncer::~RocksSyncer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void RocksSyncer::RequestSync(env::Executor& executor, env::OnDone on_done, bool lazy) {
  request_count_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Request{&executor, std::move(on_done)});
    if (!lazy) ++eager_queued_;
  }
  wake_.notify_one();
}

void RocksSyncer::WaitIdle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !in_flight_; });
}

void RocksSyncer::SetHeldForTesting(bool held) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held_ = held;
  }
  wake_.notify_one();
}

void RocksSyncer::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || (!queue_.empty() && !held_); });
    if (queue_.empty()) break;  // Stopping, and nothing left to complete.
    if (eager_queued_ == 0 && !stopping_) {
      // Only lazy requests: give an eager one a moment to come and share
      // the sync, rather than syncing for writes nobody waits on.
      wake_.wait_for(lock, kLazySyncDelay, [this] { return stopping_ || eager_queued_ > 0 || held_; });
      if (held_ || queue_.empty()) continue;
    }
    std::vector<Request> batch = std::move(queue_);
    queue_.clear();
    eager_queued_ = 0;
    in_flight_ = true;
    lock.unlock();
    // Every write of the batch returned before its request was queued, so
    // this one sync covers them all.
    if (failure_.ok()) {
      try {
        failure_ = FromRocks(db_.SyncWAL(), "WAL sync");
      } catch (const std::exception& e) {
        // An exception must not escape this thread (std::terminate), and
        // after one we cannot know what the sync did: treat it as failed.
        failure_ = absl::InternalError(absl::StrCat("WAL sync threw: ", e.what()));
      }
      sync_count_.fetch_add(1, std::memory_order_relaxed);
    }
    for (Request& request : batch) {
      request.executor->Post([on_done = std::move(request.on_done), status = failure_]() mutable {
        on_done(std::move(status));
      });
    }
    lock.lock();
    in_flight_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
  idle_.notify_all();
}

}  // namespace kv::storage
