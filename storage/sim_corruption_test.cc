// Corruption on the simulated disk is detected by checksums, reported as
// kDataLoss with a clear message, and never handed out as data.

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "storage/testing/sim_harness.h"

namespace kv::storage {
namespace {

using testing::Await;
using testing::SimHarness;

bool Mentions(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

class SimCorruptionTest : public ::testing::Test {
 protected:
  // A synced log with entries 1..3 and a snapshot at 2.
  std::unique_ptr<LogStorage> WriteLog() {
    auto log = harness_.OpenLog(1);
    EXPECT_TRUE(log.ok());
    LogWrite write;
    for (uint64_t index = 1; index <= 3; ++index) {
      write.entries.push_back(LogEntry{index, 1, "payload-" + std::to_string(index)});
    }
    EXPECT_TRUE(Await(harness_, [&](env::OnDone done) { (*log)->Write(write, std::move(done)); }).ok());
    EXPECT_TRUE(Await(harness_, [&](env::OnDone done) {
                  (*log)->SaveSnapshot(LogSnapshot{SnapshotMetadata{2, 1, "c"}, "snapshot-data"},
                                       std::move(done));
                }).ok());
    return *std::move(log);
  }

  SimHarness harness_;
};

TEST_F(SimCorruptionTest, TransientReadCorruptionIsRetriedAndNeverReturned) {
  auto log = WriteLog();
  SimDiskFaults faults;
  faults.read_corruption_ppm = 1'000'000;  // Every read flips a bit.
  harness_.disk().SetFaults(faults);
  auto entries = log->Entries(1, 4, 0);
  ASSERT_EQ(entries.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(entries.status(), "checksum mismatch on log entry 1")) << entries.status();
  auto snapshot = log->LoadSnapshot();
  ASSERT_EQ(snapshot.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(snapshot.status(), "checksum mismatch on snapshot 2")) << snapshot.status();
  EXPECT_GE(harness_.disk().counters().read_corruptions, 4);
  // Half the reads corrupt: the retry makes most reads succeed, and no read
  // ever returns wrong bytes.
  faults.read_corruption_ppm = 500'000;
  harness_.disk().SetFaults(faults);
  int succeeded = 0;
  for (int i = 0; i < 50; ++i) {
    auto read = log->Entries(2, 3, 0);
    if (read.ok()) {
      ++succeeded;
      EXPECT_EQ(read->front().payload, "payload-2");
    } else {
      EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
    }
  }
  EXPECT_GT(succeeded, 25);
}

TEST_F(SimCorruptionTest, BitRotInAnEntryIsReportedOnReadAndRefusedAtOpen) {
  auto log = WriteLog();
  // The first record holds the entries; its payload follows the header.
  const std::string file = SimLogFileName(1);
  harness_.disk().InjectBitRot(file, 40);
  auto entries = log->Entries(1, 4, 0);
  ASSERT_EQ(entries.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(entries.status(), "checksum mismatch")) << entries.status();
  log.reset();
  // Recovery refuses a corrupt record that is not a torn tail: it may hold
  // acknowledged writes, so the node must not start (it repairs from peers).
  auto reopened = harness_.OpenLog(1);
  ASSERT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(reopened.status(), "checksum mismatch on journal record")) << reopened.status();
}

TEST_F(SimCorruptionTest, BitRotInAPayloadIsReportedByTheStorageThatWroteIt) {
  // Entry reads skip the checksum while the disk's bytes are as written
  // (SimDisk::alterations); bit rot must turn it back on. Offset 52 is in
  // entry 1's payload, past its index and term, so only the checksum can
  // tell: the first record's header (13 bytes), its payload's has-hard-state
  // byte, first index and count (13), the cell's length (4), then the cell's
  // checksum, index and term (20).
  auto log = WriteLog();
  ASSERT_EQ((*log->Entries(1, 2, 0)).front().payload, "payload-1");
  harness_.disk().InjectBitRot(SimLogFileName(1), 52);
  auto entries = log->Entries(1, 2, 0);
  ASSERT_EQ(entries.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(entries.status(), "checksum mismatch on log entry 1")) << entries.status();
}

TEST_F(SimCorruptionTest, BitRotInALengthIsCorruptionNotATornTail) {
  auto log = WriteLog();
  log.reset();
  // Offset 1 is inside the first record's length field. Were lengths not
  // checksummed, this could pass for a torn tail and silently drop data.
  harness_.disk().InjectBitRot(SimLogFileName(1), 1);
  auto reopened = harness_.OpenLog(1);
  ASSERT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(reopened.status(), "record length")) << reopened.status();
}

TEST(SimTornWriteTest, TornTailIsCutOffAndTheRestRecovered) {
  // Crash with one unsynced append in flight, over many seeds: the crash
  // model keeps, loses or tears it. Recovery must detect every tear, cut it
  // off, and keep the synced entries.
  int torn = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    SimHarness harness(seed);
    auto log = harness.OpenLog(1);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE(Await(harness, [&](env::OnDone done) {
                  (*log)->Write(LogWrite{HardState{1, 0, 0}, {LogEntry{1, 1, "synced"}}},
                                std::move(done));
                }).ok());
    (*log)->Write(LogWrite{std::nullopt, {LogEntry{2, 1, std::string(500, 'x')}}},
                  [](absl::Status) {});
    log->reset();
    harness.Crash();
    auto reopened = harness.OpenLog(1);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    auto* sim = static_cast<SimLogStorage*>(reopened->get());
    const bool tore = harness.disk().counters().torn_writes > 0;
    EXPECT_EQ(sim->recovered_torn_tail(), tore) << "seed " << seed;
    torn += tore;
    EXPECT_EQ((*reopened)->Entries(1, 2, 0)->front().payload, "synced");
    if (tore) {
      EXPECT_EQ((*reopened)->LastIndex(), 1u);
    }
    // Appending after the cut works, and survives the next recovery.
    ASSERT_TRUE(Await(harness, [&](env::OnDone done) {
                  (*reopened)->Write(LogWrite{std::nullopt, {LogEntry{2, 2, "after"}}},
                                     std::move(done));
                }).ok());
    reopened->reset();
    harness.Crash();
    auto again = harness.OpenLog(1);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ((*again)->Entries(2, 3, 0)->front().payload, "after");
  }
  EXPECT_GT(torn, 3);
}

TEST_F(SimCorruptionTest, CorruptValueIsReportedNotReturned) {
  auto state = harness_.OpenStateMachine();
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(Await(harness_, [&](env::OnDone done) {
                (*state)->Apply(3, 1, {Mutation::Put("key", "value")}, std::move(done));
              }).ok());
  const uint64_t size = harness_.disk().FileSize(SimShardFileName(3));
  harness_.disk().InjectBitRot(SimShardFileName(3), size - 2);  // Inside the value.
  auto value = (*state)->Get(3, "key");
  ASSERT_EQ(value.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(value.status(), "checksum mismatch on mutation")) << value.status();
  // GetInto and snapshot reads too, whose usual case skips the checksum
  // while the disk's bytes are as written (SimDisk::alterations).
  std::string into;
  auto found = (*state)->GetInto(3, "key", into);
  EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(found.status(), "checksum mismatch on mutation")) << found.status();
  auto snapshot = (*state)->ReadSnapshot(3);
  EXPECT_EQ(snapshot.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(snapshot.status(), "checksum mismatch on mutation")) << snapshot.status();
}

}  // namespace
}  // namespace kv::storage
