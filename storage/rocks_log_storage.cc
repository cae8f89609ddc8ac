#include "storage/rocks_log_storage.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/status_macros.h"
#include "rocksdb/iterator.h"
#include "storage/crc32c.h"
#include "storage/records.h"
#include "storage/rocks_keys.h"
#include "storage/rocks_status.h"

namespace kv::storage {
namespace {

namespace keys = rocks_keys;

// Reads one key; nullopt if absent.
absl::StatusOr<std::optional<std::string>> GetOptional(RocksDb& db, const std::string& key,
                                                       absl::string_view what) {
  std::string value;
  const rocksdb::Status status = db.db().Get(rocksdb::ReadOptions(), db.log_family(), key, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, absl::StrCat("reading ", what));
  return value;
}

// An iterator over [lower, upper) of the log family. The bounds must outlive it.
std::unique_ptr<rocksdb::Iterator> RangeIterator(RocksDb& db, const rocksdb::Slice& lower,
                                                 const rocksdb::Slice& upper) {
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(options, db.log_family()));
  it->Seek(lower);
  return it;
}

absl::string_view View(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksLogStorage>> RocksLogStorage::Open(RocksDb& db,
                                                                       env::Executor& executor,
                                                                       GroupId group) {
  std::unique_ptr<RocksLogStorage> storage(new RocksLogStorage(db, executor, group));
  KV_RETURN_IF_ERROR(storage->Recover());
  return storage;
}

absl::Status RocksLogStorage::Recover() {
  KV_ASSIGN_OR_RETURN(auto base, GetOptional(db_, keys::Tagged(group_, keys::kBase), "log base"));
  if (base.has_value()) {
    KV_ASSIGN_OR_RETURN(LogBase decoded, DecodeLogBase(*base));
    state_.RecoverBase(decoded);
  }
  KV_ASSIGN_OR_RETURN(auto hard_state,
                      GetOptional(db_, keys::Tagged(group_, keys::kHardState), "hard state"));
  if (hard_state.has_value()) {
    KV_ASSIGN_OR_RETURN(HardState decoded, DecodeHardState(*hard_state));
    state_.RecoverHardState(decoded);
  }
  KV_ASSIGN_OR_RETURN(auto snapshot,
                      GetOptional(db_, keys::Tagged(group_, keys::kSnapshot), "snapshot"));
  if (snapshot.has_value()) {
    KV_ASSIGN_OR_RETURN(StoredSnapshotMetadata decoded, DecodeSnapshotMetadata(*snapshot));
    state_.RecoverSnapshot(decoded);
  }
  const std::string lower = keys::Numbered(group_, keys::kEntry, state_.FirstIndex());
  const std::string upper = keys::Tagged(group_, keys::kEntry + 1);
  const rocksdb::Slice lower_slice(lower);
  const rocksdb::Slice upper_slice(upper);
  auto it = RangeIterator(db_, lower_slice, upper_slice);
  for (; it->Valid(); it->Next()) {
    const uint64_t index = keys::NumberOf(View(it->key()));
    KV_ASSIGN_OR_RETURN(LogEntry entry, DecodeEntry(View(it->value()), index));
    KV_RETURN_IF_ERROR(state_.RecoverEntry(entry.index, entry.term));
  }
  KV_RETURN_IF_ERROR(FromRocks(it->status(), "scanning log entries"));
  if (state_.snapshot().metadata.index > state_.LastIndex()) {
    return absl::DataLossError(absl::StrCat("group ", group_, ": snapshot at ",
                                            state_.snapshot().metadata.index,
                                            " is beyond the last entry ", state_.LastIndex()));
  }
  state_.CheckInvariants();
  return absl::OkStatus();
}

absl::Status RocksLogStorage::Commit(rocksdb::WriteBatch& batch, absl::string_view what) {
  absl::Status status = db_.Write(batch, absl::StrCat("group ", group_, ": ", what));
  gate_->Fail(status);
  return status;
}

void RocksLogStorage::Complete(absl::Status status, env::OnDone on_done) {
  // Every completion, even a validation error, goes through the syncer so
  // that completions keep issue order; nothing is acknowledged once the
  // gate has closed (see write_gate.h).
  db_.SyncThen(executor_, [gate = gate_, status = std::move(status),
                           on_done = std::move(on_done)](absl::Status sync_status) mutable {
    gate->Fail(sync_status);
    if (!status.ok()) return on_done(std::move(status));
    if (!sync_status.ok()) return on_done(std::move(sync_status));
    on_done(gate->Check());
  });
}

void RocksLogStorage::Write(const LogWrite& write, env::OnDone on_done) {
  absl::Status status = gate_->Check();
  if (status.ok()) status = state_.CheckWrite(write);
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  const AppendPlan plan = state_.PlanWrite(write);
  rocksdb::WriteBatch batch;
  rocksdb::Status added;
  if (write.hard_state.has_value()) {
    added = batch.Put(db_.log_family(), keys::Tagged(group_, keys::kHardState),
                      EncodeHardState(*write.hard_state));
  }
  if (added.ok() && plan.truncate_from <= plan.truncate_to) {
    // The conflicting suffix; Raft truncates rarely and little, and point
    // deletes keep reads free of range tombstones.
    for (uint64_t index = plan.truncate_from; added.ok() && index <= plan.truncate_to; ++index) {
      added = batch.Delete(db_.log_family(), keys::Numbered(group_, keys::kEntry, index));
    }
  }
  for (size_t i = plan.skipped_count; added.ok() && i < write.entries.size(); ++i) {
    const LogEntry& entry = write.entries[i];
    added = batch.Put(db_.log_family(), keys::Numbered(group_, keys::kEntry, entry.index),
                      EncodeEntry(entry));
  }
  status = FromRocks(added, "building log write batch");
  if (status.ok()) status = Commit(batch, "log write");
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  state_.ApplyWrite(write);
  Complete(absl::OkStatus(), std::move(on_done));
}

void RocksLogStorage::SaveSnapshot(LogSnapshot snapshot, env::OnDone on_done) {
  absl::Status status = gate_->Check();
  if (status.ok()) status = state_.CheckSnapshot(snapshot.metadata);
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  const StoredSnapshotMetadata stored{snapshot.metadata, snapshot.data.size(),
                                      Crc32c(snapshot.data)};
  rocksdb::WriteBatch batch;
  rocksdb::Status added = batch.Put(db_.log_family(), keys::Tagged(group_, keys::kSnapshot),
                                    EncodeSnapshotMetadata(stored));
  // The old snapshot's chunks go, if it had any: a local compaction point
  // carries no data, and a range tombstone at each one would pile up in
  // RocksDB (every range delete is consulted by later reads until a
  // compaction drops it) with nothing under it to delete.
  if (added.ok() && state_.snapshot().data_bytes > 0) {
    added = batch.DeleteRange(db_.log_family(), keys::Numbered(group_, keys::kSnapshotData, 0),
                              keys::Tagged(group_, keys::kSnapshotData + 1));
  }
  const absl::string_view data(snapshot.data);
  for (uint64_t chunk = 0; added.ok() && chunk * kSnapshotChunkBytes < data.size(); ++chunk) {
    const absl::string_view piece = data.substr(chunk * kSnapshotChunkBytes, kSnapshotChunkBytes);
    added = batch.Put(db_.log_family(), keys::Numbered(group_, keys::kSnapshotData, chunk),
                      rocksdb::Slice(piece.data(), piece.size()));
  }
  if (added.ok() && !state_.SnapshotKeepsLog(stored.metadata)) {
    // A snapshot from the leader replaces the whole log.
    added = batch.DeleteRange(db_.log_family(), keys::Numbered(group_, keys::kEntry, 0),
                              keys::Tagged(group_, keys::kEntry + 1));
    if (added.ok()) {
      added = batch.Put(db_.log_family(), keys::Tagged(group_, keys::kBase),
                        EncodeLogBase(LogBase{stored.metadata.index, stored.metadata.term}));
    }
  }
  status = FromRocks(added, "building snapshot batch");
  if (status.ok()) status = Commit(batch, "save snapshot");
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  state_.ApplySnapshot(stored);
  Complete(absl::OkStatus(), std::move(on_done));
}

void RocksLogStorage::Compact(uint64_t index, env::OnDone on_done) {
  absl::Status status = gate_->Check();
  if (status.ok()) status = state_.CheckCompact(index);
  if (!status.ok() || index <= state_.base().index) {
    return Complete(std::move(status), std::move(on_done));
  }
  rocksdb::WriteBatch batch;
  rocksdb::Status added = batch.Put(db_.log_family(), keys::Tagged(group_, keys::kBase),
                                    EncodeLogBase(state_.PlanCompact(index)));
  if (added.ok()) {
    added = batch.DeleteRange(db_.log_family(), keys::Numbered(group_, keys::kEntry, 0),
                              keys::Numbered(group_, keys::kEntry, index + 1));
  }
  status = FromRocks(added, "building compaction batch");
  if (status.ok()) status = Commit(batch, "compact");
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  state_.ApplyCompact(index);
  Complete(absl::OkStatus(), std::move(on_done));
}

absl::StatusOr<std::vector<LogEntry>> RocksLogStorage::Entries(uint64_t lo, uint64_t hi,
                                                               uint64_t max_bytes) {
  KV_RETURN_IF_ERROR(state_.CheckRange(lo, hi));
  std::vector<LogEntry> entries;
  if (lo == hi) return entries;
  const std::string lower = keys::Numbered(group_, keys::kEntry, lo);
  const std::string upper = keys::Numbered(group_, keys::kEntry, hi);
  const rocksdb::Slice lower_slice(lower);
  const rocksdb::Slice upper_slice(upper);
  auto it = RangeIterator(db_, lower_slice, upper_slice);
  uint64_t expected = lo;
  uint64_t total_bytes = 0;
  for (; it->Valid(); it->Next(), ++expected) {
    const uint64_t index = keys::NumberOf(View(it->key()));
    if (index != expected) break;
    KV_ASSIGN_OR_RETURN(LogEntry entry, DecodeEntry(View(it->value()), index));
    total_bytes += entry.payload.size();
    if (max_bytes != 0 && !entries.empty() && total_bytes > max_bytes) return entries;
    entries.push_back(std::move(entry));
  }
  KV_RETURN_IF_ERROR(FromRocks(it->status(), "reading log entries"));
  if (expected != hi) {
    return absl::DataLossError(absl::StrCat("group ", group_, ": log entry ", expected,
                                            " is missing from the database"));
  }
  return entries;
}

absl::StatusOr<LogSnapshot> RocksLogStorage::LoadSnapshot() {
  const StoredSnapshotMetadata& stored = state_.snapshot();
  if (stored.metadata.index == 0) return absl::NotFoundError("no snapshot stored");
  const std::string lower = keys::Numbered(group_, keys::kSnapshotData, 0);
  const std::string upper = keys::Tagged(group_, keys::kSnapshotData + 1);
  const rocksdb::Slice lower_slice(lower);
  const rocksdb::Slice upper_slice(upper);
  auto it = RangeIterator(db_, lower_slice, upper_slice);
  std::string data;
  data.reserve(stored.data_bytes);
  for (; it->Valid(); it->Next()) data.append(it->value().data(), it->value().size());
  KV_RETURN_IF_ERROR(FromRocks(it->status(), "reading snapshot data"));
  KV_RETURN_IF_ERROR(VerifySnapshotData(stored, data));
  return LogSnapshot{stored.metadata, std::move(data)};
}

}  // namespace kv::storage
