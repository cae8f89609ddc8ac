#include "storage/rocks_db.h"

#include <algorithm>
#include <exception>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "storage/rocks_status.h"

namespace kv::storage {
namespace {

constexpr char kLogFamily[] = "raft_log";
constexpr char kStateFamily[] = "kv_state";

rocksdb::CompressionType PickCompression() {
  // The state family compresses with LZ4 when this RocksDB build has it: it
  // is cheap on the read path. Log payloads are opaque and often already
  // compact, and are read back rarely, so the log family is uncompressed.
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  const bool has_lz4 =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
  return has_lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions FamilyOptions(const RocksDbOptions& options,
                                           const std::shared_ptr<rocksdb::Cache>& cache,
                                           bool point_reads) {
  rocksdb::ColumnFamilyOptions family;
  family.write_buffer_size = options.write_buffer_bytes;
  family.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Checksums on every block (the default, stated): corruption in an SST is
  // reported as Status::Corruption, which we turn into kDataLoss.
  table.checksum = rocksdb::kCRC32c;
  if (point_reads) {
    // Gets on the state family mostly hit; a bloom filter still saves the
    // block read for misses. Filters for the top levels stay in the cache.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    family.compression = PickCompression();
  } else {
    family.compression = rocksdb::kNoCompression;
  }
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return family;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDb>> RocksDb::Open(const RocksDbOptions& options) {
  rocksdb::DBOptions db_options;
  // Only a new database gets its column families. In an existing one a
  // missing family means a damaged MANIFEST (one truncated by half opened
  // with new, empty families, and every acknowledged write was gone without
  // a word): refuse it instead.
  std::error_code exists_error;
  const bool exists = std::filesystem::exists(options.path + "/CURRENT", exists_error);
  db_options.create_if_missing = !exists;
  db_options.create_missing_column_families = !exists;
  db_options.max_background_jobs = options.background_jobs;
  // Recovery tolerates an incomplete last record, the way a torn tail of an
  // interrupted write looks, but not a record whose checksum fails: those
  // bytes were written whole, and the acknowledged writes in and after it
  // would be lost. (kPointInTimeRecovery stopped at such a record and opened
  // without a word: one flipped byte in the WAL lost 198 of 300 writes.)
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // The MANIFEST records each WAL and, once it is closed, its synced size: a
  // closed WAL deleted or cut short is then refused at open, not skipped.
  db_options.track_and_verify_wals_in_manifest = true;
  db_options.paranoid_checks = true;
  // Bound the WAL so memtables get flushed and old WAL files deleted.
  db_options.max_total_wal_size = 4 * options.write_buffer_bytes;
  // Write back SST data in the background while it is written, so a flush
  // does not end in one long fsync that stalls the WAL syncs.
  db_options.bytes_per_sync = 1 << 20;

  const std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kLogFamily, FamilyOptions(options, cache, /*point_reads=*/false)},
      {kStateFamily, FamilyOptions(options, cache, /*point_reads=*/true)},
  };
  std::unique_ptr<RocksDb> node(new RocksDb());
  node->path_ = options.path;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status;
  try {
    status = rocksdb::DB::Open(db_options, options.path, descriptors, &node->families_, &raw);
  } catch (const std::exception& e) {
    // We do not throw (STYLE.md section 3): third-party exceptions stop here.
    return absl::InternalError(absl::StrCat("opening RocksDB at ", options.path, " threw: ", e.what()));
  }
  if (exists && status.IsInvalidArgument()) {
    // Our families are missing from a database that exists (see above).
    return absl::DataLossError(absl::StrCat("opening RocksDB at ", options.path, ": ", status.ToString(),
                                            " (the existing database lacks it: a damaged MANIFEST?)"));
  }
  if (!status.ok()) return FromRocks(status, absl::StrCat("opening RocksDB at ", options.path));
  node->db_.reset(raw);
  node->syncer_ = std::make_unique<RocksSyncer>(*node->db_);
  return node;
}

RocksDb::~RocksDb() {
  syncer_.reset();
  if (db_ == nullptr) return;  // Open failed before the DB existed.
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    // Closing a handle can only fail for the default family's, which is
    // owned by the DB; nothing to do about it at shutdown.
    db_->DestroyColumnFamilyHandle(family).PermitUncheckedError();
  }
  // Close reports errors that the destructor would swallow; at shutdown
  // there is nobody left to tell, and everything acknowledged was synced.
  db_->Close().PermitUncheckedError();
}

absl::Status RocksDb::Write(rocksdb::WriteBatch& batch, absl::string_view what) {
  rocksdb::WriteOptions options;
  options.sync = false;  // The syncer batches the fsyncs (group commit).
  try {
    return FromRocks(db_->Write(options, &batch), what);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": RocksDB threw: ", e.what()));
  }
}

}  // namespace kv::storage
