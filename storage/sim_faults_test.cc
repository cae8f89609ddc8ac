// What the simulated storages do with each injected disk fault (the policy
// in docs/storage.md): an I/O failure fails the write and closes the
// storage for writes, so nothing is acknowledged that a crash could lose.

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/testing/sim_harness.h"

namespace kv::storage {
namespace {

using testing::Await;
using testing::SimHarness;

LogWrite OneEntry(uint64_t index) {
  LogWrite write;
  write.entries.push_back(LogEntry{index, 1, absl::StrCat("e", index)});
  return write;
}

class SimFaultsTest : public ::testing::Test {
 protected:
  absl::Status Write(LogStorage& log, uint64_t index) {
    return Await(harness_, [&](env::OnDone done) { log.Write(OneEntry(index), std::move(done)); });
  }
  std::unique_ptr<LogStorage> Open() { return *harness_.OpenLog(1); }

  SimHarness harness_;
};

TEST_F(SimFaultsTest, SyncFailureFailsTheWriteAndEveryLaterOne) {
  auto log = Open();
  ASSERT_TRUE(Write(*log, 1).ok());
  SimDiskFaults faults;
  faults.sync_failure_ppm = 1'000'000;
  harness_.disk().SetFaults(faults);
  EXPECT_EQ(Write(*log, 2).code(), absl::StatusCode::kUnavailable);
  harness_.disk().SetFaults(SimDiskFaults{});
  // The disk works again, but the storage does not pretend it does.
  const absl::Status later = Write(*log, 3);
  EXPECT_EQ(later.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(later.message().find("fsync"), absl::string_view::npos) << later;
  EXPECT_EQ(harness_.disk().counters().sync_failures, 1);
  // A restart recovers and the storage is usable again.
  log.reset();
  harness_.Crash();
  log = Open();
  EXPECT_GE(log->LastIndex(), 1u);
  EXPECT_TRUE(Write(*log, log->LastIndex() + 1).ok());
}

TEST_F(SimFaultsTest, WriteErrorFailsWithoutWritingAndClosesTheStorage) {
  auto log = Open();
  SimDiskFaults faults;
  faults.write_error_ppm = 1'000'000;
  harness_.disk().SetFaults(faults);
  EXPECT_EQ(Write(*log, 1).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(log->LastIndex(), 0u) << "a failed write must not become visible";
  harness_.disk().SetFaults(SimDiskFaults{});
  EXPECT_EQ(Write(*log, 1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(harness_.disk().counters().write_errors, 1);
}

TEST_F(SimFaultsTest, DiskFullIsResourceExhaustedAndClosesTheStorage) {
  auto log = Open();
  SimDiskFaults faults;
  faults.disk_full_ppm = 1'000'000;
  harness_.disk().SetFaults(faults);
  const absl::Status status = Write(*log, 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(status.message().find("ENOSPC"), absl::string_view::npos) << status;
  EXPECT_EQ(harness_.disk().counters().disk_full_errors, 1);
  auto state = harness_.OpenStateMachine();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(Await(harness_, [&](env::OnDone done) {
              (*state)->Apply(1, 1, {Mutation::Put("k", "v")}, std::move(done));
            }).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ((*state)->AppliedIndex(1), 0u);
}

TEST_F(SimFaultsTest, AfterAFailedApplyReadsFailInsteadOfServingTheOldValue) {
  // Found by the scenario property test: a node kept answering GETs from a
  // shard whose last apply had failed (disk full), returning the value the
  // acknowledged write had replaced.
  auto state = harness_.OpenStateMachine();
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(Await(harness_, [&](env::OnDone done) {
                (*state)->Apply(1, 1, {Mutation::Put("k", "old")}, std::move(done));
              }).ok());
  SimDiskFaults faults;
  faults.disk_full_ppm = 1'000'000;
  harness_.disk().SetFaults(faults);
  EXPECT_EQ(Await(harness_, [&](env::OnDone done) {
              (*state)->Apply(1, 2, {Mutation::Put("k", "new")}, std::move(done));
            }).code(),
            absl::StatusCode::kResourceExhausted);
  harness_.disk().SetFaults(SimDiskFaults{});
  const absl::StatusOr<std::optional<std::string>> value = (*state)->Get(1, "k");
  EXPECT_EQ(value.status().code(), absl::StatusCode::kFailedPrecondition) << (value.ok() ? **value : "");
  EXPECT_EQ((*state)->ReadSnapshot(1).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SimFaultsTest, LatencySpikeDelaysButDoesNotFail) {
  auto log = Open();
  harness_.Drain();
  const env::TimeNs before = harness_.loop().NowNs();
  SimDiskFaults faults;
  faults.latency_spike_ppm = 1'000'000;
  harness_.disk().SetFaults(faults);
  EXPECT_TRUE(Write(*log, 1).ok());
  EXPECT_GE(harness_.loop().NowNs() - before, SimDiskOptions{}.latency_spike_ns);
  EXPECT_EQ(harness_.disk().counters().latency_spikes, 1);
}

TEST_F(SimFaultsTest, DrawnFaultMixIsDeterministicPerSeed) {
  env::Random first(77);
  env::Random second(77);
  const SimDiskFaults a = SimDiskFaults::Draw(first);
  const SimDiskFaults b = SimDiskFaults::Draw(second);
  EXPECT_EQ(a.write_error_ppm, b.write_error_ppm);
  EXPECT_EQ(a.sync_failure_ppm, b.sync_failure_ppm);
  EXPECT_EQ(a.read_corruption_ppm, b.read_corruption_ppm);
  int enabled = 0;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    env::Random random(seed);
    enabled += SimDiskFaults::Draw(random).sync_failure_ppm > 0;
  }
  EXPECT_GT(enabled, 10);
  EXPECT_LT(enabled, 54);
}

}  // namespace
}  // namespace kv::storage
