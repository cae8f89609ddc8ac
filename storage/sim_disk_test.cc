#include "storage/sim_disk.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/testing/manual_loop.h"

namespace kv::storage {
namespace {

using testing::ManualLoop;

std::string ReadAll(SimDisk& disk, absl::string_view file) {
  return *disk.Read(file, 0, disk.FileSize(file));
}

// The page cache's content is what was grown and written, appended,
// truncated and assigned, whatever lies in the room past it; a model string
// does the same, and the two agree after every step.
TEST(SimPageCacheTest, HoldsWhatWasWrittenAndNothingOfItsRoom) {
  env::Random random(7);
  for (int run = 0; run < 50; ++run) {
    SimPageCache cache;
    std::string model;
    for (int step = 0; step < 200; ++step) {
      const uint64_t size = random.Uniform(300);
      std::string bytes(size, '\0');
      for (char& c : bytes) c = static_cast<char>('a' + random.Uniform(26));
      switch (random.Uniform(6)) {
        case 0:
        case 1: {
          char* const at = cache.Grow(bytes.size());
          for (size_t i = 0; i < bytes.size(); ++i) at[i] = bytes[i];
          model += bytes;
          break;
        }
        case 2:
          cache.Append(bytes);
          model += bytes;
          break;
        case 3: {
          // Cut off, leaving bytes in the room that a later Grow reuses.
          const uint64_t keep = random.Uniform(model.size() + 1);
          cache.Truncate(keep);
          model.resize(keep);
          break;
        }
        case 4:
          cache.Reserve(model.size() + random.Uniform(5000));
          break;
        default:
          if (random.Chance(1, 10)) {
            cache.Assign(bytes);
            model = bytes;
          } else if (random.Chance(1, 10)) {
            EXPECT_EQ(cache.Take(), model);
            model.clear();
          }
      }
      ASSERT_EQ(cache.size(), model.size()) << "run " << run << ", step " << step;
      ASSERT_EQ(cache.view(), model) << "run " << run << ", step " << step;
    }
  }
}

// As with std::string::append, the bytes appended may be the page cache's
// own, even when growing moves them.
TEST(SimPageCacheTest, AppendsItsOwnContent) {
  SimPageCache cache;
  cache.Append("0123456789");
  for (int i = 0; i < 12; ++i) cache.Append(cache.view());
  EXPECT_EQ(cache.size(), 10u << 12);
  for (size_t at = 0; at < cache.size(); at += 10) {
    ASSERT_EQ(cache.view().substr(at, 10), "0123456789") << "at " << at;
  }
}

// What SimDisk::Reserve promises the journals: appends up to the reserved
// size never move the bytes already there (the room is filled ahead only
// within the capacity held).
TEST(SimPageCacheTest, GrowingWithinAReservationDoesNotMoveTheBytes) {
  SimPageCache cache;
  cache.Append("start");
  cache.Reserve(10'000);
  const char* const data = cache.data();
  while (cache.size() + 150 <= 10'000) {
    std::fill_n(cache.Grow(150), 150, 'x');
    ASSERT_EQ(cache.data(), data) << "at size " << cache.size();
  }
  EXPECT_EQ(cache.view().substr(0, 5), "start");
}

TEST(SimDiskTest, WritesAreVisibleAtOnceAndDurableAfterSync) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(1));
  ASSERT_TRUE(disk.Append("f", "abc").ok());
  EXPECT_EQ(ReadAll(disk, "f"), "abc");
  absl::Status synced = absl::UnknownError("not run");
  disk.Sync([&](absl::Status status) { synced = status; });
  EXPECT_EQ(synced.code(), absl::StatusCode::kUnknown) << "sync must not complete inline";
  loop.RunUntilIdle();
  EXPECT_TRUE(synced.ok());
  EXPECT_GT(loop.NowNs(), 0);
  disk.Crash();
  EXPECT_EQ(ReadAll(disk, "f"), "abc");
}

TEST(SimDiskTest, CrashKeepsAPrefixOfUnsyncedWritesAndSometimesTearsOne) {
  int torn_seen = 0;
  int lost_seen = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    ManualLoop loop;
    SimDisk disk(loop, env::Random(seed));
    ASSERT_TRUE(disk.Append("f", "synced|").ok());
    disk.Sync([](absl::Status) {});
    loop.RunUntilIdle();
    const std::string written = "synced|one|two|three|";
    ASSERT_TRUE(disk.Append("f", "one|").ok());
    ASSERT_TRUE(disk.Append("f", "two|").ok());
    ASSERT_TRUE(disk.Append("f", "three|").ok());
    disk.Crash();
    const std::string after = ReadAll(disk, "f");
    ASSERT_EQ(written.substr(0, after.size()), after) << "not a prefix, seed " << seed;
    ASSERT_GE(after.size(), 7u) << "lost synced data, seed " << seed;
    torn_seen += disk.counters().torn_writes;
    lost_seen += disk.counters().lost_operations > 0;
  }
  EXPECT_GT(torn_seen, 0);
  EXPECT_GT(lost_seen, 0);
}

TEST(SimDiskTest, ConcurrentSyncRequestsShareSyncs) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(2));
  int completed = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(disk.Append("f", "x").ok());
    disk.Sync([&](absl::Status status) {
      EXPECT_TRUE(status.ok());
      ++completed;
    });
  }
  loop.RunUntilIdle();
  EXPECT_EQ(completed, 10);
  // The first request starts a sync; the other nine share the next one.
  EXPECT_EQ(disk.counters().syncs, 2);
  EXPECT_EQ(disk.counters().sync_requests, 10);
}

TEST(SimDiskTest, ALazySyncWaitsForAnEagerOneAndKeepsRequestOrder) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(4));
  std::vector<int> order;
  ASSERT_TRUE(disk.Append("f", "a").ok());
  disk.Sync([&](absl::Status s) { EXPECT_TRUE(s.ok()); order.push_back(1); }, /*lazy=*/true);
  ASSERT_TRUE(disk.Append("f", "b").ok());
  disk.Sync([&](absl::Status s) { EXPECT_TRUE(s.ok()); order.push_back(2); });
  loop.RunUntilIdle();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  // One sync covered both: the lazy request did not start its own.
  EXPECT_EQ(disk.counters().syncs, 1);
  EXPECT_LT(loop.NowNs(), SimDiskOptions{}.lazy_sync_delay_ns);
}

TEST(SimDiskTest, ALazySyncAloneCompletesAfterTheDelay) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(5));
  ASSERT_TRUE(disk.Append("f", "a").ok());
  bool done = false;
  disk.Sync([&](absl::Status s) { EXPECT_TRUE(s.ok()); done = true; }, /*lazy=*/true);
  loop.RunUntilIdle();
  EXPECT_TRUE(done);
  EXPECT_EQ(disk.counters().syncs, 1);
  EXPECT_GE(loop.NowNs(), SimDiskOptions{}.lazy_sync_delay_ns);
  disk.Crash();
  EXPECT_EQ(ReadAll(disk, "f"), "a");  // It was durable when it completed.
}

TEST(SimDiskTest, ACrashDropsAWaitingLazySync) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(6));
  ASSERT_TRUE(disk.Append("f", "a").ok());
  bool ran = false;
  disk.Sync([&](absl::Status) { ran = true; }, /*lazy=*/true);
  disk.Crash();
  loop.RunUntilIdle();
  EXPECT_FALSE(ran);
  EXPECT_EQ(disk.counters().syncs, 0);
}

TEST(SimDiskTest, CrashDropsPendingSyncCallbacks) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(3));
  ASSERT_TRUE(disk.Append("f", "x").ok());
  bool ran = false;
  disk.Sync([&](absl::Status) { ran = true; });
  disk.Crash();
  loop.RunUntilIdle();
  EXPECT_FALSE(ran);
}

// Storage completions (SyncThenComplete) and plain syncs share one request
// queue: they complete in request order, an operation's own error first.
TEST(SimDiskTest, SyncThenCompleteKeepsRequestOrderAndReportsTheOperationsError) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(8));
  WriteGate& gate = disk.NewWriteGate();
  std::vector<std::string> order;
  auto record = [&order](std::string name) {
    return [&order, name](absl::Status status) {
      order.push_back(name + ":" + std::string(absl::StatusCodeToString(status.code())));
    };
  };
  disk.SyncThenComplete(record("write"), absl::OkStatus(), gate);
  disk.Sync(record("plain"));
  disk.SyncThenComplete(record("invalid"), absl::InvalidArgumentError("bad"), gate);
  disk.SyncThenComplete(record("apply"), absl::OkStatus(), gate, /*lazy=*/true);
  EXPECT_TRUE(order.empty()) << "completions never run inline";
  loop.RunUntilIdle();
  EXPECT_EQ(order, (std::vector<std::string>{"write:OK", "plain:OK", "invalid:INVALID_ARGUMENT",
                                             "apply:OK"}));
  EXPECT_FALSE(gate.failed());
  EXPECT_EQ(disk.counters().sync_requests, 4);
}

TEST(SimDiskTest, SyncThenCompleteClosesTheGateOnASyncFailure) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(9));
  WriteGate& gate = disk.NewWriteGate();
  SimDiskFaults faults;
  faults.sync_failure_ppm = 1'000'000;
  disk.SetFaults(faults);
  absl::Status first = absl::UnknownError("not run");
  disk.SyncThenComplete([&first](absl::Status status) { first = status; }, absl::OkStatus(), gate);
  loop.RunUntilIdle();
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(gate.failed());
  // A later sync succeeds, but the gate has closed: nothing is acknowledged.
  disk.SetFaults(SimDiskFaults{});
  absl::Status second = absl::UnknownError("not run");
  disk.SyncThenComplete([&second](absl::Status status) { second = status; }, absl::OkStatus(),
                        gate);
  loop.RunUntilIdle();
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition);
  // A crash drops pending completions like any sync callback.
  bool ran = false;
  disk.SyncThenComplete([&ran](absl::Status) { ran = true; }, absl::OkStatus(), gate);
  disk.Crash();
  loop.RunUntilIdle();
  EXPECT_FALSE(ran);
}

// Each storage gets a gate of its own from the disk, which stays where it is
// as more are made: a failure closes only the gate its completion names.
TEST(SimDiskTest, EachWriteGateIsItsOwnAndStaysValid) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(10));
  WriteGate& first = disk.NewWriteGate();
  SimDiskFaults faults;
  faults.sync_failure_ppm = 1'000'000;
  disk.SetFaults(faults);
  absl::Status failed = absl::UnknownError("not run");
  disk.SyncThenComplete([&failed](absl::Status status) { failed = status; }, absl::OkStatus(),
                        first);
  std::vector<WriteGate*> more;
  for (int i = 0; i < 1000; ++i) more.push_back(&disk.NewWriteGate());
  loop.RunUntilIdle();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(first.failed());
  for (const WriteGate* gate : more) {
    ASSERT_NE(gate, &first);
    ASSERT_FALSE(gate->failed());
  }
  disk.SetFaults(SimDiskFaults{});
  absl::Status later = absl::UnknownError("not run");
  disk.SyncThenComplete([&later](absl::Status status) { later = status; }, absl::OkStatus(),
                        *more.back());
  loop.RunUntilIdle();
  EXPECT_TRUE(later.ok()) << later;
}

TEST(SimDiskTest, ProcessCrashKeepsThePageCacheAndLaterSyncsWork) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(6));
  ASSERT_TRUE(disk.Append("f", "unsynced").ok());
  bool ran = false;
  disk.Sync([&](absl::Status) { ran = true; });
  disk.ProcessCrash();
  loop.RunUntilIdle();
  EXPECT_FALSE(ran);
  EXPECT_EQ(ReadAll(disk, "f"), "unsynced");
  // The dropped sync does not wedge the disk: the next one runs and covers
  // the data the crashed process wrote.
  absl::Status synced = absl::UnknownError("not run");
  disk.Sync([&](absl::Status status) { synced = status; });
  loop.RunUntilIdle();
  EXPECT_TRUE(synced.ok());
  disk.Crash();
  EXPECT_EQ(ReadAll(disk, "f"), "unsynced");
}

TEST(SimDiskTest, OnlyBitRotAndPowerLossAlterWrittenBytes) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(7));
  ASSERT_TRUE(disk.Append("f", "written").ok());
  ASSERT_TRUE(disk.Replace("g", "replaced").ok());
  disk.Sync([](absl::Status) {});
  loop.RunUntilIdle();
  std::string scratch;
  ASSERT_TRUE(disk.ReadView(disk.Resolve("f"), 0, 7, scratch).ok());
  disk.ProcessCrash();  // The page cache survives a process crash.
  EXPECT_EQ(disk.alterations(), 0u);
  disk.InjectBitRot("f", 2);
  EXPECT_EQ(disk.alterations(), 1u);
  disk.Crash();
  EXPECT_EQ(disk.alterations(), 2u);
}

TEST(SimDiskTest, InjectedFaultsFireAndAreCounted) {
  ManualLoop loop;
  SimDisk disk(loop, env::Random(4));
  SimDiskFaults faults;
  faults.write_error_ppm = 1'000'000;
  disk.SetFaults(faults);
  EXPECT_EQ(disk.Append("f", "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(disk.FileSize("f"), 0u);
  faults = SimDiskFaults{};
  faults.disk_full_ppm = 1'000'000;
  disk.SetFaults(faults);
  EXPECT_EQ(disk.Append("f", "x").code(), absl::StatusCode::kResourceExhausted);
  faults = SimDiskFaults{};
  disk.SetFaults(faults);
  ASSERT_TRUE(disk.Append("f", "abcdefgh").ok());
  faults.read_corruption_ppm = 1'000'000;
  faults.sync_failure_ppm = 1'000'000;
  faults.latency_spike_ppm = 1'000'000;
  disk.SetFaults(faults);
  const std::string read = ReadAll(disk, "f");
  int differing_bits = 0;
  for (size_t i = 0; i < read.size(); ++i) {
    differing_bits += __builtin_popcount(static_cast<uint8_t>(read[i] ^ "abcdefgh"[i]));
  }
  EXPECT_EQ(differing_bits, 1);
  absl::Status synced;
  disk.Sync([&](absl::Status status) { synced = status; });
  loop.RunUntilIdle();
  EXPECT_EQ(synced.code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(loop.NowNs(), SimDiskOptions{}.latency_spike_ns);
  const SimDiskCounters& counters = disk.counters();
  EXPECT_EQ(counters.write_errors, 1);
  EXPECT_EQ(counters.disk_full_errors, 1);
  EXPECT_EQ(counters.read_corruptions, 1);
  EXPECT_EQ(counters.sync_failures, 1);
  EXPECT_EQ(counters.latency_spikes, 1);
}

TEST(SimDiskTest, RunsOutOfSpaceAtCapacity) {
  ManualLoop loop;
  SimDiskOptions options;
  options.capacity_bytes = 10;
  SimDisk disk(loop, env::Random(5), options);
  ASSERT_TRUE(disk.Append("f", "12345678").ok());
  const absl::Status status = disk.Append("g", "123");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(status.message().find("ENOSPC"), absl::string_view::npos);
  EXPECT_TRUE(disk.Replace("f", "1").ok());
  EXPECT_TRUE(disk.Append("g", "123").ok());
}

TEST(SimDiskTest, ReplaceIsAllOrNothingAcrossACrash) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    ManualLoop loop;
    SimDisk disk(loop, env::Random(seed));
    ASSERT_TRUE(disk.Append("f", "old").ok());
    disk.Sync([](absl::Status) {});
    loop.RunUntilIdle();
    ASSERT_TRUE(disk.Replace("f", "brand new").ok());
    disk.Crash();
    const std::string after = ReadAll(disk, "f");
    ASSERT_TRUE(after == "old" || after == "brand new") << after;
  }
}

TEST(SimDiskTest, SameSeedSameOutcome) {
  auto run = [](uint64_t seed) {
    ManualLoop loop;
    SimDisk disk(loop, env::Random(seed));
    disk.SetFaults(SimDiskFaults{0, 0, 300'000, 300'000, 300'000, 500'000});
    std::string trace;
    for (int i = 0; i < 30; ++i) {
      (void)disk.Append("f", std::string(5, static_cast<char>('a' + i % 26))).ok();
      disk.Sync([&trace](absl::Status status) { trace += status.ok() ? "+" : "-"; });
      trace += ReadAll(disk, "f").back();
      if (i % 7 == 6) disk.Crash();
      if (i % 3 == 2) loop.RunUntilIdle();
    }
    loop.RunUntilIdle();
    return trace + std::to_string(loop.NowNs()) + "/" + std::to_string(disk.FileSize("f"));
  };
  EXPECT_EQ(run(9), run(9));
  EXPECT_NE(run(9), run(10));
}

TEST(SimDiskTest, ReserveChangesNoOutcome) {
  // Reserve moves the page cache while pending, durable and torn bytes refer
  // into it: the same writes, syncs, replaces and crashes must end the same
  // with it and without it.
  auto run = [](bool reserve) {
    ManualLoop loop;
    SimDisk disk(loop, env::Random(11));
    disk.SetFaults(SimDiskFaults{0, 0, 200'000, 0, 200'000, 500'000});
    const SimDisk::FileRef file = disk.Resolve("f");
    std::string trace;
    for (int i = 0; i < 60; ++i) {
      if (reserve && i % 5 == 0) disk.Reserve(file, 16 * static_cast<uint64_t>(i + 1));
      const std::string bytes(7, static_cast<char>('a' + i % 26));
      const absl::Status written =
          i % 13 == 12 ? disk.Replace(file, bytes) : disk.Append(file, bytes);
      EXPECT_TRUE(written.ok());
      disk.Sync([&trace](absl::Status status) { trace += status.ok() ? "+" : "-"; });
      if (i % 9 == 8) disk.Crash();
      if (i % 4 == 3) loop.RunUntilIdle();
      trace += std::to_string(disk.FileSize(file)) + ",";
    }
    loop.RunUntilIdle();
    disk.Crash();
    return trace + ReadAll(disk, "f") + "/" + std::to_string(disk.counters().torn_writes) + "/" +
           std::to_string(disk.counters().lost_operations) + "/" +
           std::to_string(disk.used_bytes());
  };
  EXPECT_EQ(run(/*reserve=*/true), run(/*reserve=*/false));
}

}  // namespace
}  // namespace kv::storage
