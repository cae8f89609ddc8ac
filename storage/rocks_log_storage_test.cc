// What the RocksDB log backend leaves in the database, beyond what the
// conformance tests can see through the LogStorage interface: a snapshot's
// data chunks are replaced whole, and a compaction point (a snapshot with no
// data) adds no range tombstone when there are no chunks to delete.

#include <cstdint>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/table_properties.h"
#include "storage/rocks_keys.h"
#include "storage/rocks_log_storage.h"
#include "storage/testing/rocks_harness.h"

namespace kv::storage {
namespace {

using testing::Await;
using testing::RocksHarness;

constexpr GroupId kGroup = 3;

class RocksLogStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = harness_.OpenLog(kGroup);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    // Entries 1..100 of term 1, so that every snapshot below is taken
    // locally and keeps the log (no range delete of the entries).
    LogWrite write;
    for (uint64_t index = 1; index <= 100; ++index) {
      write.entries.push_back(LogEntry{index, 1, "entry-" + std::to_string(index)});
    }
    ASSERT_TRUE(Await(harness_, [&](env::OnDone done) { log_->Write(write, std::move(done)); }).ok());
  }

  absl::Status Save(uint64_t index, std::string data) {
    return Await(harness_, [&](env::OnDone done) {
      log_->SaveSnapshot(LogSnapshot{SnapshotMetadata{index, 1, "config"}, std::move(data)},
                         std::move(done));
    });
  }

  // Snapshot-data chunks stored for the group, counted by key.
  int StoredChunks() {
    rocksdb::DB& db = harness_.db()->db();
    const std::string lower = rocks_keys::Numbered(kGroup, rocks_keys::kSnapshotData, 0);
    const std::string upper = rocks_keys::Tagged(kGroup, rocks_keys::kSnapshotData + 1);
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), harness_.db()->log_family()));
    int chunks = 0;
    for (it->Seek(lower); it->Valid() && it->key().ToString() < upper; it->Next()) ++chunks;
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return chunks;
  }

  // Range tombstones written to the log family so far: flushed to tables,
  // whose properties count them.
  uint64_t RangeDeletions() {
    rocksdb::DB& db = harness_.db()->db();
    EXPECT_TRUE(db.Flush(rocksdb::FlushOptions(), harness_.db()->log_family()).ok());
    rocksdb::TablePropertiesCollection tables;
    EXPECT_TRUE(db.GetPropertiesOfAllTables(harness_.db()->log_family(), &tables).ok());
    uint64_t deletions = 0;
    for (const auto& [file, properties] : tables) deletions += properties->num_range_deletions;
    return deletions;
  }

  RocksHarness harness_;
  std::unique_ptr<LogStorage> log_;
};

TEST_F(RocksLogStorageTest, CompactionPointsWithoutDataAddNoRangeTombstones) {
  for (uint64_t index = 10; index <= 50; index += 10) ASSERT_TRUE(Save(index, "").ok());
  EXPECT_EQ(StoredChunks(), 0);
  EXPECT_EQ(RangeDeletions(), 0u) << "nothing was stored to delete";
  auto snapshot = log_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->metadata.index, 50u);
  EXPECT_TRUE(snapshot->data.empty());
}

TEST_F(RocksLogStorageTest, ASnapshotsChunksAreReplacedWholeThroughCompactionPoints) {
  // Three chunks, then compaction points, then one chunk: no chunk of the
  // first may survive, or loading the last would read them as its own.
  const std::string big(2 * RocksLogStorage::kSnapshotChunkBytes + 17, 'b');
  ASSERT_TRUE(Save(10, big).ok());
  EXPECT_EQ(StoredChunks(), 3);
  ASSERT_TRUE(Save(20, "").ok());
  EXPECT_EQ(StoredChunks(), 0) << "a compaction point drops the old snapshot's data";
  ASSERT_TRUE(Save(30, "").ok());
  ASSERT_TRUE(Save(40, "small-state").ok());
  EXPECT_EQ(StoredChunks(), 1);
  EXPECT_EQ(RangeDeletions(), 1u) << "one delete, where the first snapshot's chunks were dropped";

  // What a restart reads back.
  log_.reset();
  harness_.CloseDb();
  auto reopened = harness_.OpenLog(kGroup);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto snapshot = (*reopened)->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->metadata.index, 40u);
  EXPECT_EQ(snapshot->data, "small-state");

  // A snapshot with data replaced by a smaller one with data.
  ASSERT_TRUE(Await(harness_, [&](env::OnDone done) {
                (*reopened)->SaveSnapshot(LogSnapshot{SnapshotMetadata{50, 1, "config"}, big}, std::move(done));
              }).ok());
  ASSERT_TRUE(Await(harness_, [&](env::OnDone done) {
                (*reopened)->SaveSnapshot(LogSnapshot{SnapshotMetadata{60, 1, "config"}, "tiny"}, std::move(done));
              }).ok());
  EXPECT_EQ(StoredChunks(), 1);
  auto last = (*reopened)->LoadSnapshot();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->data, "tiny");
}

}  // namespace
}  // namespace kv::storage
