#pragma once
// StorageHarness: what the conformance suites need from a backend under test:
// open storages, drive completions, and crash. Layer: storage/ tests only.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "storage/log_storage.h"
#include "storage/state_machine_storage.h"

namespace kv::storage::testing {

class StorageHarness {
 public:
  virtual ~StorageHarness() = default;

  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<LogStorage>> OpenLog(GroupId group) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<StateMachineStorage>> OpenStateMachine() = 0;

  // Runs completions until `done()` holds or nothing more can happen.
  virtual bool RunUntil(absl::FunctionRef<bool()> done) = 0;

  // Runs every completion that is pending.
  virtual void Drain() = 0;

  // Runs up to `steps` pending events without waiting for more (a partial
  // run, so that a crash can land between a write and its sync).
  virtual void RunSome(int steps) = 0;

  // A crash: pending completions are lost and, where the backend can model
  // it, so are unsynced writes. Precondition: every storage opened from this
  // harness has been destroyed.
  virtual void Crash() = 0;

  // While held, no new sync starts (requests queue up), so group commit can
  // be shown without depending on how fast the disk is.
  virtual void HoldSyncs(bool held) {}

  // A line on the backend's state for failure messages (fault counters).
  virtual std::string Describe() const { return ""; }

  // Syncs performed so far (group commit makes this far below writes).
  virtual int64_t sync_count() const = 0;
};

// Starts an operation with a completion callback and runs the harness until
// it completes. Returns its status.
template <typename Start>
[[nodiscard]] absl::Status Await(StorageHarness& harness, Start start) {
  std::optional<absl::Status> result;
  start([&result](absl::Status status) { result = std::move(status); });
  if (!harness.RunUntil([&result] { return result.has_value(); })) {
    ADD_FAILURE() << "operation never completed";
    return absl::DeadlineExceededError("operation never completed");
  }
  return *result;
}

}  // namespace kv::storage::testing
