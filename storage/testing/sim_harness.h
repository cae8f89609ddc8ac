#pragma once
// SimHarness: the simulated backend (SimDisk on a ManualLoop) for the
// conformance suites. Layer: storage/ tests only.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"

#include "storage/sim_disk.h"
#include "storage/sim_log_storage.h"
#include "storage/sim_state_machine_storage.h"
#include "storage/testing/manual_loop.h"
#include "storage/testing/storage_harness.h"

namespace kv::storage::testing {

class SimHarness final : public StorageHarness {
 public:
  static constexpr const char* kName = "Sim";
  // Crashes in the simulator drop unsynced writes and may tear one.
  static constexpr bool kCrashLosesUnsynced = true;

  explicit SimHarness(uint64_t seed = 1) : disk_(loop_, env::Random(seed)) {}

  absl::StatusOr<std::unique_ptr<LogStorage>> OpenLog(GroupId group) override {
    auto storage = SimLogStorage::Open(disk_, group);
    if (!storage.ok()) return storage.status();
    return std::unique_ptr<LogStorage>(*std::move(storage));
  }
  absl::StatusOr<std::unique_ptr<StateMachineStorage>> OpenStateMachine() override {
    auto storage = SimStateMachineStorage::Open(disk_);
    if (!storage.ok()) return storage.status();
    return std::unique_ptr<StateMachineStorage>(*std::move(storage));
  }
  bool RunUntil(absl::FunctionRef<bool()> done) override { return loop_.RunUntil(done); }
  void Drain() override { loop_.RunUntilIdle(); }
  void RunSome(int steps) override {
    loop_.RunUntil([&steps] { return steps-- <= 0; });
  }
  void Crash() override {
    loop_.DropAll();
    disk_.Crash();
  }
  int64_t sync_count() const override { return disk_.counters().syncs; }

  std::string Describe() const override {
    const SimDiskCounters& c = disk_.counters();
    return absl::StrCat("sim disk: write errors ", c.write_errors, ", disk full ",
                        c.disk_full_errors, ", sync failures ", c.sync_failures,
                        ", read corruptions ", c.read_corruptions, ", torn writes ", c.torn_writes,
                        ", lost operations ", c.lost_operations, ", crashes ", c.crashes,
                        ", syncs ", c.syncs);
  }

  SimDisk& disk() { return disk_; }
  ManualLoop& loop() { return loop_; }

 private:
  ManualLoop loop_;
  SimDisk disk_;
};

}  // namespace kv::storage::testing
