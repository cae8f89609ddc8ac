// RocksSyncer's lazy requests (issue 8): they share the next eager sync
// instead of forcing one, and are still synced (within kLazySyncDelay)
// when no eager request comes.
#include "storage/rocks_syncer.h"

#include <gtest/gtest.h>

#include "node/env/check.h"
#include "storage/rocks_db.h"
#include "storage/testing/rocks_harness.h"
#include "storage/testing/rocks_test_executor.h"

namespace kv::storage {
namespace {

struct Fixture {
  testing::TempDir dir;
  testing::RocksTestExecutor executor;
  std::unique_ptr<RocksDb> db;
  Fixture() {
    RocksDbOptions options;
    options.path = dir.path();
    auto opened = RocksDb::Open(options);
    KV_CHECK(opened.ok());
    db = std::move(*opened);
  }
};

TEST(RocksSyncerTest, LazyRequestsShareTheNextEagerSync) {
  Fixture f;
  RocksSyncer& syncer = f.db->syncer();
  syncer.SetHeldForTesting(true);
  int done = 0;
  for (int i = 0; i < 3; ++i) {
    syncer.RequestSync(f.executor, [&done](absl::Status s) { done += s.ok(); }, /*lazy=*/true);
  }
  syncer.RequestSync(f.executor, [&done](absl::Status s) { done += s.ok(); });
  syncer.SetHeldForTesting(false);
  syncer.WaitIdle();
  f.executor.RunPending();
  EXPECT_EQ(done, 4);
  EXPECT_EQ(syncer.sync_count(), 1);
  EXPECT_EQ(syncer.request_count(), 4);
}

TEST(RocksSyncerTest, LazyRequestsAloneAreSyncedAfterTheDelay) {
  Fixture f;
  RocksSyncer& syncer = f.db->syncer();
  int done = 0;
  syncer.RequestSync(f.executor, [&done](absl::Status s) { done += s.ok(); }, /*lazy=*/true);
  syncer.RequestSync(f.executor, [&done](absl::Status s) { done += s.ok(); }, /*lazy=*/true);
  syncer.WaitIdle();  // Returns once the delayed sync has covered both.
  f.executor.RunPending();
  EXPECT_EQ(done, 2);
  EXPECT_EQ(syncer.sync_count(), 1);
}

}  // namespace
}  // namespace kv::storage
