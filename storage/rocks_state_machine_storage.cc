#include "storage/rocks_state_machine_storage.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/status_macros.h"
#include "rocksdb/iterator.h"
#include "storage/records.h"
#include "storage/rocks_keys.h"
#include "storage/rocks_status.h"

namespace kv::storage {
namespace {

namespace keys = rocks_keys;

absl::string_view View(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

// Iterates one shard's values at a RocksDB snapshot, which it owns.
class RocksPairSource final : public PairSource {
 public:
  RocksPairSource(RocksDb& db, ShardId shard)
      : db_(db),
        snapshot_(db.db().GetSnapshot()),
        lower_(keys::Tagged(shard, keys::kValue)),
        upper_(keys::Tagged(shard, keys::kValue + 1)),
        lower_slice_(lower_),
        upper_slice_(upper_) {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot_;
    options.iterate_lower_bound = &lower_slice_;
    options.iterate_upper_bound = &upper_slice_;
    // A snapshot scan reads everything once; keep it out of the block cache.
    options.fill_cache = false;
    it_.reset(db.db().NewIterator(options, db.state_family()));
    it_->Seek(lower_slice_);
  }

  ~RocksPairSource() override {
    it_.reset();
    db_.db().ReleaseSnapshot(snapshot_);
  }

  absl::StatusOr<bool> Next(KeyValue& out) override {
    if (!it_->Valid()) {
      KV_RETURN_IF_ERROR(FromRocks(it_->status(), "reading shard snapshot"));
      return false;
    }
    out.key = std::string(View(it_->key()).substr(lower_.size()));
    KV_ASSIGN_OR_RETURN(out.value, DecodeValue(View(it_->value()), out.key));
    it_->Next();
    return true;
  }

 private:
  RocksDb& db_;
  const rocksdb::Snapshot* snapshot_;
  const std::string lower_;
  const std::string upper_;
  const rocksdb::Slice lower_slice_;
  const rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RocksStateMachineStorage>> RocksStateMachineStorage::Open(
    RocksDb& db, env::Executor& executor) {
  std::unique_ptr<RocksStateMachineStorage> storage(new RocksStateMachineStorage(db, executor));
  KV_RETURN_IF_ERROR(storage->Recover());
  return storage;
}

absl::Status RocksStateMachineStorage::Recover() {
  // Every shard has an applied-index key, and it sorts first among the
  // shard's keys ('a' < 'k'), so one seek per shard finds them all without
  // reading any values.
  std::unique_ptr<rocksdb::Iterator> it(
      db_.db().NewIterator(rocksdb::ReadOptions(), db_.state_family()));
  it->SeekToFirst();
  while (it->Valid()) {
    const absl::string_view key = View(it->key());
    if (key.size() < 9) return absl::DataLossError("malformed key in kv_state");
    const ShardId shard = DecodeBigEndian64(key.data());
    if (key[8] != keys::kApplied) {
      return absl::DataLossError(absl::StrCat("shard ", shard, " has values but no applied index"));
    }
    KV_ASSIGN_OR_RETURN(uint64_t applied_index, DecodeAppliedIndex(View(it->value())));
    applied_[shard] = applied_index;
    if (shard == UINT64_MAX) break;
    std::string next;
    PutBigEndian64(next, shard + 1);
    it->Seek(next);
  }
  return FromRocks(it->status(), "scanning shards");
}

void RocksStateMachineStorage::Complete(absl::Status status, env::OnDone on_done, bool lazy) {
  // As RocksLogStorage::Complete: issue order, and no acknowledgement after
  // the gate has closed. A successful apply asks for a lazy sync: the node
  // does not wait for it (the applied entries are durable in the log), so
  // it rides on the next log sync instead of forcing one (issue 8).
  db_.SyncThen(executor_, [gate = gate_, status = std::move(status),
                           on_done = std::move(on_done)](absl::Status sync_status) mutable {
    gate->Fail(sync_status);
    if (!status.ok()) return on_done(std::move(status));
    if (!sync_status.ok()) return on_done(std::move(sync_status));
    on_done(gate->Check());
  }, lazy && status.ok());
}

absl::Status RocksStateMachineStorage::CheckApplied(ShardId shard, uint64_t applied_index) const {
  KV_RETURN_IF_ERROR(gate_->Check());
  if (applied_index <= AppliedIndex(shard)) {
    return absl::FailedPreconditionError(absl::StrCat("shard ", shard, ": applied index ",
                                                      applied_index, " is not above the stored ",
                                                      AppliedIndex(shard)));
  }
  return absl::OkStatus();
}

void RocksStateMachineStorage::Apply(ShardId shard, uint64_t applied_index,
                                     absl::Span<const Mutation> mutations, env::OnDone on_done) {
  absl::Status status = CheckApplied(shard, applied_index);
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  rocksdb::WriteBatch batch;
  rocksdb::Status added;
  for (size_t i = 0; added.ok() && i < mutations.size(); ++i) {
    const Mutation& mutation = mutations[i];
    if (mutation.kind == Mutation::Kind::kPut) {
      added = batch.Put(db_.state_family(), keys::Value(shard, mutation.key),
                        EncodeValue(mutation.key, mutation.value));
    } else {
      added = batch.Delete(db_.state_family(), keys::Value(shard, mutation.key));
    }
  }
  if (added.ok()) {
    added = batch.Put(db_.state_family(), keys::Tagged(shard, keys::kApplied),
                      EncodeAppliedIndex(applied_index));
  }
  status = FromRocks(added, "building apply batch");
  if (status.ok()) status = db_.Write(batch, absl::StrCat("shard ", shard, ": apply"));
  gate_->Fail(status);
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  applied_[shard] = applied_index;
  Complete(absl::OkStatus(), std::move(on_done), /*lazy=*/true);
}

absl::StatusOr<std::optional<std::string>> RocksStateMachineStorage::Get(ShardId shard,
                                                                         absl::string_view key) {
  // After a failed write the shard may lack a batch it was told to apply:
  // answering from it would serve a stale value (state_machine_storage.h).
  KV_RETURN_IF_ERROR(gate_->Check());
  std::string cell;
  const rocksdb::Status status = db_.db().Get(rocksdb::ReadOptions(), db_.state_family(),
                                              keys::Value(shard, key), &cell);
  if (status.IsNotFound()) return std::nullopt;
  KV_RETURN_IF_ERROR(FromRocks(status, absl::StrCat("shard ", shard, ": get")));
  KV_ASSIGN_OR_RETURN(std::string value, DecodeValue(cell, key));
  return value;
}

uint64_t RocksStateMachineStorage::AppliedIndex(ShardId shard) const {
  auto it = applied_.find(shard);
  return it == applied_.end() ? 0 : it->second;
}

std::vector<ShardId> RocksStateMachineStorage::Shards() const {
  std::vector<ShardId> shards;
  for (const auto& [shard, applied_index] : applied_) shards.push_back(shard);
  return shards;
}

absl::StatusOr<std::unique_ptr<ShardSnapshotReader>> RocksStateMachineStorage::ReadSnapshot(
    ShardId shard) {
  KV_RETURN_IF_ERROR(gate_->Check());
  // Taking the RocksDB snapshot and reading the applied index happen on the
  // logic thread with no write in between, so they agree.
  auto source = std::make_unique<RocksPairSource>(db_, shard);
  return std::make_unique<ShardSnapshotReader>(AppliedIndex(shard), std::move(source));
}

void RocksStateMachineStorage::InstallSnapshot(ShardId shard, ShardImage image,
                                               env::OnDone on_done) {
  absl::Status status = CheckApplied(shard, image.applied_index);
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  // One batch: the old content goes and the new arrives atomically. The
  // image is in memory already (the caller reserved it from the memory
  // budget), so the batch costs about as much again.
  rocksdb::WriteBatch batch;
  rocksdb::Status added = batch.DeleteRange(db_.state_family(), keys::Tagged(shard, keys::kValue),
                                            keys::Tagged(shard, keys::kValue + 1));
  for (size_t i = 0; added.ok() && i < image.pairs.size(); ++i) {
    const KeyValue& pair = image.pairs[i];
    added = batch.Put(db_.state_family(), keys::Value(shard, pair.key),
                      EncodeValue(pair.key, pair.value));
  }
  if (added.ok()) {
    added = batch.Put(db_.state_family(), keys::Tagged(shard, keys::kApplied),
                      EncodeAppliedIndex(image.applied_index));
  }
  status = FromRocks(added, "building snapshot install batch");
  if (status.ok()) status = db_.Write(batch, absl::StrCat("shard ", shard, ": install snapshot"));
  gate_->Fail(status);
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  applied_[shard] = image.applied_index;
  Complete(absl::OkStatus(), std::move(on_done));
}

}  // namespace kv::storage
