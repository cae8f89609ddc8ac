#pragma once
// RocksTestExecutor: a thread-safe executor for tests of the RocksDB
// backend, whose completions are posted from the syncer thread. Tasks run
// only inside RunUntil, on the test's thread, which stands in for the logic
// thread. Waiting is on a condition variable, never a sleep.
// Layer: storage/ tests only.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "absl/functional/function_ref.h"
#include "node/env/executor.h"

namespace kv::storage::testing {

class RocksTestExecutor final : public env::Executor {
 public:
  void Post(Task task) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    posted_.notify_all();
  }

  // Runs tasks until `done()` holds. Returns false if nothing was posted for
  // `patience` while waiting (a completion that never comes).
  bool RunUntil(absl::FunctionRef<bool()> done,
                std::chrono::seconds patience = std::chrono::seconds(60)) {
    while (true) {
      RunPending();
      if (done()) return true;
      std::unique_lock<std::mutex> lock(mutex_);
      if (!posted_.wait_for(lock, patience, [this] { return !tasks_.empty(); })) return false;
    }
  }

  // Runs the tasks posted so far, and any they post.
  void RunPending() {
    while (true) {
      Task task;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  // Discards every queued task, as a crash does.
  void DropAll() {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable posted_;
  std::deque<Task> tasks_;
};

}  // namespace kv::storage::testing
