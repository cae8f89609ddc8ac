#include "storage/sim_state_machine_storage.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "absl/utility/utility.h"
#include "node/env/check.h"
#include "node/env/status_macros.h"
#include "storage/coding.h"
#include "storage/key_order.h"
#include "storage/records.h"

namespace kv::storage {
namespace {

constexpr absl::string_view kShardFilePrefix = "sm/";

// A batch record's payload: [applied index u64][count u32], then per
// mutation [length u32][mutation cell].
constexpr size_t kBatchHeaderBytes = 8 + 4;
constexpr size_t kCellLengthBytes = 4;

// Appends a framed record of `type` to `out`: payload of kShardApply,
// kShardData and kShardImage is the batch layout above. An image holds only
// puts. Encodes in place: no copy per mutation. Inline in AppendBatch,
// where every apply frames its record (and finds its cells by the same
// layout). `out` is a std::string or the page cache (SimPageCache), as for
// BeginRecord: every byte of the record is written.
template <typename Out>
[[gnu::always_inline]] inline void FrameBatch(Out& out, RecordType type,
                                              uint64_t applied_index,
                                              absl::Span<const Mutation> mutations) {
  // Sized first, then written with plain stores into `out` grown once with
  // the header, as log writes are.
  size_t payload_bytes = kBatchHeaderBytes;
  for (const Mutation& mutation : mutations) {
    payload_bytes += kCellLengthBytes + MutationCellBytes(mutation);
  }
  const size_t record_start = BeginRecord(out, type, payload_bytes);
  char* const payload = out.data() + record_start + kRecordHeaderBytes;
  EncodeFixed64(payload, applied_index);
  EncodeFixed32(payload + 8, static_cast<uint32_t>(mutations.size()));
  char* p = payload + kBatchHeaderBytes;
  for (const Mutation& mutation : mutations) {
    const size_t cell_bytes = MutationCellBytes(mutation);
    EncodeFixed32(p, static_cast<uint32_t>(cell_bytes));
    p = WriteMutationCell(p + kCellLengthBytes, mutation);
  }
  KV_CHECK_EQ(static_cast<size_t>(p - payload), payload_bytes);
  FinishRecord(out, record_start);
}

// Points `key` at its new value cell `span` (a put) or drops it (a delete).
// One search per mutation: a new key goes in where the search left off.
// Always inline: it runs per mutation applied, and the call (its five
// arguments and the hash map's state reloaded) cost ~1.5M instructions per
// standard run; with the index's hash inline too, GCC no longer inlined it
// by itself.
[[gnu::always_inline]] inline void IndexMutation(ValueIndex& values, uint64_t& live_bytes, Mutation::Kind kind,
                          absl::string_view key, const Span& span) {
  if (kind == Mutation::Kind::kPut) {
    auto [it, inserted] = values.try_emplace(key, span);
    if (!inserted) {
      live_bytes -= it->second.length;
      it->second = span;
    }
    live_bytes += span.length;
    return;
  }
  auto it = values.find(key);
  if (it == values.end()) return;
  live_bytes -= it->second.length;
  values.erase(it);
}

absl::string_view RecordPayload(const std::string& record) {
  return absl::string_view(record).substr(kRecordHeaderBytes);
}

class VectorPairSource final : public PairSource {
 public:
  explicit VectorPairSource(std::vector<KeyValue> pairs) : pairs_(std::move(pairs)) {}
  absl::StatusOr<bool> Next(KeyValue& out) override {
    if (next_ == pairs_.size()) return false;
    out = std::move(pairs_[next_++]);
    return true;
  }

 private:
  std::vector<KeyValue> pairs_;
  size_t next_ = 0;
};

// Whether `mutation`, decoded from a value cell, is a put of `key`, as
// the cell of `key`'s value must be. Always inline, like SameBytes: every
// applied command's read checks its cell here.
[[gnu::always_inline]] inline bool IsValueOf(const MutationView& mutation, absl::string_view key) {
  return mutation.kind == Mutation::Kind::kPut && SameBytes(mutation.key, key);
}

// The value in the Put cell `cell`, verified to be `key`'s (a view into
// `cell`).
absl::StatusOr<absl::string_view> ValueOfCell(absl::string_view cell, absl::string_view key) {
  KV_ASSIGN_OR_RETURN(MutationView mutation, DecodeMutationView(cell));
  if (!IsValueOf(mutation, key)) return absl::DataLossError("value cell belongs to another key");
  return mutation.value;
}

// Reads the Put cell at `span` and returns its value, verified to be `key`'s,
// as a `Value` (std::string, or std::optional<std::string> for Get, built in
// place rather than moved from one into the other).
template <typename Value = std::string>
absl::StatusOr<Value> ReadValue(SimDisk& disk, SimDisk::FileRef file, const Span& span,
                                absl::string_view key) {
  return ReadCell(disk, file, span.offset, span.length,
                  [key](absl::string_view cell) -> absl::StatusOr<Value> {
                    KV_ASSIGN_OR_RETURN(absl::string_view value, ValueOfCell(cell, key));
                    return absl::StatusOr<Value>(absl::in_place, value);
                  });
}

}  // namespace

std::string SimShardFileName(ShardId shard) {
  return absl::StrFormat("%s%020d", kShardFilePrefix, shard);
}

absl::StatusOr<std::unique_ptr<SimStateMachineStorage>> SimStateMachineStorage::Open(
    SimDisk& disk, SimStateMachineOptions options) {
  std::unique_ptr<SimStateMachineStorage> storage(new SimStateMachineStorage(disk, options));
  for (const std::string& file : disk.ListFiles(kShardFilePrefix)) {
    ShardId shard_id = 0;
    if (!absl::SimpleAtoi(absl::string_view(file).substr(kShardFilePrefix.size()), &shard_id) ||
        file != SimShardFileName(shard_id)) {
      return absl::DataLossError(absl::StrCat("unexpected file ", file));
    }
    KV_RETURN_IF_ERROR(storage->Recover(shard_id, file));
  }
  // What recovery read may still be only in the page cache (written before a
  // failed sync, then a process restart). Make it durable before anything
  // is acknowledged: syncs complete in order, so every later completion
  // comes after this one, and a failure closes the gate first.
  disk.Sync([gate = storage->gate_](absl::Status status) { gate->Fail(status); });
  return storage;
}

absl::Status SimStateMachineStorage::Recover(ShardId shard_id, const std::string& file) {
  if (disk_.FileSize(file) == 0) return absl::OkStatus();  // Created, never synced.
  const SimDisk::FileRef ref = disk_.Resolve(file);
  StableReadScratch scratch;
  KV_ASSIGN_OR_RETURN(absl::string_view bytes, ReadStable(disk_, ref, file, scratch));
  KV_ASSIGN_OR_RETURN(ParsedJournal journal, ParseJournal(bytes, file));
  Shard shard;
  for (const JournalRecord& record : journal.records) {
    KV_RETURN_IF_ERROR(Replay(shard, record));
  }
  if (journal.torn_tail) {
    ++recovered_torn_tails_;
    KV_RETURN_IF_ERROR(disk_.Replace(ref, std::string(bytes.substr(0, journal.valid_bytes))));
  }
  if (!journal.records.empty()) {
    shard.file = ref;
    ReserveJournal(disk_, shard.file, RewriteThresholdBytes(shard));
    IndexShard(shard_id, shards_.emplace(shard_id, std::move(shard)).first->second);
  }
  return absl::OkStatus();
}

absl::Status SimStateMachineStorage::Replay(Shard& shard, const JournalRecord& record) {
  if (record.type != RecordType::kShardApply && record.type != RecordType::kShardImage &&
      record.type != RecordType::kShardData) {
    return absl::DataLossError(absl::StrCat("record type ", static_cast<int>(record.type),
                                            " does not belong in a shard journal"));
  }
  ByteReader reader(record.payload);
  uint64_t applied_index = 0;
  uint32_t count = 0;
  if (!reader.ReadFixed64(applied_index) || !reader.ReadFixed32(count)) {
    return absl::DataLossError("malformed shard journal record");
  }
  if (record.type == RecordType::kShardImage) {
    const SimDisk::FileRef file = shard.file;
    shard = Shard();
    shard.file = file;
  } else if (record.type == RecordType::kShardData) {
    if (applied_index != shard.applied_index) {
      return absl::DataLossError(absl::StrCat("shard data record for applied index ", applied_index,
                                              " follows index ", shard.applied_index));
    }
  } else if (applied_index <= shard.applied_index) {
    return absl::DataLossError(absl::StrCat("shard journal applied index goes from ",
                                            shard.applied_index, " to ", applied_index));
  }
  shard.applied_index = applied_index;
  for (uint32_t i = 0; i < count; ++i) {
    absl::string_view cell;
    if (!reader.ReadLengthPrefixed(cell)) return absl::DataLossError("malformed mutation");
    // The record's checksum, which covers this cell, has matched
    // (ParseJournal), or the record was framed here a moment ago
    // (InstallSnapshot, Rewrite): the cell's own checksum is computed only
    // on the way to an error.
    MutationView mutation;
    if (!DecodeWrittenMutation(cell, mutation)) {
      KV_ASSIGN_OR_RETURN(mutation, DecodeMutationView(cell));
    }
    const Span span{record.payload_offset + (cell.data() - record.payload.data()), cell.size()};
    IndexMutation(shard.values, shard.live_bytes, mutation.kind, mutation.key, span);
  }
  return absl::OkStatus();
}

void SimStateMachineStorage::Complete(absl::Status status, env::OnDone&& on_done, bool lazy) {
  // As in SimLogStorage::Complete: completions keep issue order, and nothing
  // is acknowledged after the gate has closed. A successful apply asks for a
  // lazy sync, as on real nodes (RocksStateMachineStorage): the node never
  // waits on an apply's durability (the log has the entries), so it shares
  // the next log sync instead of starting one.
  const bool lazy_sync = lazy && status.ok();
  disk_.SyncThenComplete(std::move(on_done), std::move(status), *gate_, lazy_sync);
}

// Inline: every apply, and every applied command's read (FindValue), looks
// its shard up here.
inline SimStateMachineStorage::Shard* SimStateMachineStorage::FindShard(ShardId shard_id) const {
  // A scan pays off only while it is short: a node of a run with hundreds
  // of shards walks the map's tree instead.
  constexpr size_t kMaxScannedShards = 16;
  if (shard_index_.size() > kMaxScannedShards) [[unlikely]] {
    auto it = shards_.find(shard_id);
    return it == shards_.end() ? nullptr : const_cast<Shard*>(&it->second);
  }
  for (const auto& [id, shard] : shard_index_) {
    if (id == shard_id) return shard;
  }
  return nullptr;
}

void SimStateMachineStorage::IndexShard(ShardId shard_id, Shard& shard) {
  // Not FindShard: past its scan limit it would find `shard` in shards_.
  for (const auto& indexed : shard_index_) KV_CHECK_NE(indexed.first, shard_id);
  shard_index_.emplace_back(shard_id, &shard);
  KV_CHECK_EQ(shard_index_.size(), shards_.size());
}

void SimStateMachineStorage::Apply(ShardId shard_id, uint64_t applied_index,
                                   absl::Span<const Mutation> mutations, env::OnDone on_done) {
  // The gate is asked for its Status only once it has closed, as in
  // GetInto: every apply passes here.
  if (gate_->failed()) [[unlikely]] return Complete(gate_->Check(), std::move(on_done));
  // One lookup serves the index check and the shard.
  Shard* const existing = FindShard(shard_id);
  const uint64_t stored_index = existing == nullptr ? 0 : existing->applied_index;
  if (applied_index <= stored_index) [[unlikely]] {
    return Complete(absl::FailedPreconditionError(
                        absl::StrCat("shard ", shard_id, ": applied index ", applied_index,
                                     " is not above the stored ", stored_index)),
                    std::move(on_done));
  }
  Shard& shard = existing != nullptr ? *existing : ShardFor(shard_id);
  const SimDisk::FileRef file = shard.file;
  absl::Status status;
  if (options_.bug_index_before_data) {
    // The bug: the index is journaled first, on its own, and the data after.
    status = AppendBatch(file, shard, RecordType::kShardApply, applied_index, {});
    if (status.ok()) {
      status = AppendBatch(file, shard, RecordType::kShardData, applied_index, mutations);
    }
  } else {
    status = AppendBatch(file, shard, RecordType::kShardApply, applied_index, mutations);
  }
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  MaybeRewrite(file, shard);
  CompleteLazyOk(std::move(on_done));
}

absl::Status SimStateMachineStorage::AppendBatch(SimDisk::FileRef file, Shard& shard,
                                                 RecordType type, uint64_t applied_index,
                                                 absl::Span<const Mutation> mutations) {
  const uint64_t record_offset = disk_.FileSize(file);
  // Framed in the page cache itself (SimDisk::AppendEncoded): no copy.
  absl::Status status = disk_.AppendEncoded(file, [&](SimPageCache& out) {
    FrameBatch(out, type, applied_index, mutations);
  });
  if (status.ok()) {
    // What Replay would do with this record (Apply checked the index), from
    // the mutations at hand: decoding our own record again, checksums and
    // all, cost about 2% of a simulation. The cells lie where FrameBatch's
    // layout put them, found here as it wrote them (rather than noted in a
    // vector of spans on the way, a push per mutation).
    shard.applied_index = applied_index;
    uint64_t cell_offset = record_offset + kRecordHeaderBytes + kBatchHeaderBytes;
    for (const Mutation& mutation : mutations) {
      const uint64_t cell_bytes = MutationCellBytes(mutation);
      cell_offset += kCellLengthBytes;
      IndexMutation(shard.values, shard.live_bytes, mutation.kind, mutation.key,
                    Span{cell_offset, cell_bytes});
      cell_offset += cell_bytes;
    }
    // The layouts agree: the last cell ends where the record does.
    KV_DCHECK_EQ(cell_offset, disk_.FileSize(file));
  } else {
    gate_->Fail(status);
  }
  return status;
}

// Inline: each applied command's read goes through here, and the call
// (the map iterators passed back through memory) showed in the profile.
inline const Span* SimStateMachineStorage::FindValue(ShardId shard_id, absl::string_view key,
                                              SimDisk::FileRef& file) const {
  const Shard* const shard = FindShard(shard_id);
  if (shard == nullptr) return nullptr;
  auto it = shard->values.find(key);
  if (it == shard->values.end()) return nullptr;
  file = shard->file;
  return &it->second;
}

// Inline: every applied command's read (GetInto) goes through here, and
// every value of a snapshot or a journal rewrite (ReadAll). The usual case
// builds no Status on the way (as in SimLogStorage::VisitEntries), and
// computes the checksum again only if the disk's bytes may have changed
// since it was computed (alterations_at_open_).
inline bool SimStateMachineStorage::ViewValueWithoutFaults(SimDisk::FileRef file,
                                                           const Span& span,
                                                           absl::string_view key,
                                                           absl::string_view& value) const {
  absl::string_view cell;
  MutationView mutation;
  if (disk_.ViewWithoutFaults(file, span.offset, span.length, cell) &&
      (disk_.alterations() != alterations_at_open_ ? DecodeIntactMutation(cell, mutation)
                                                  : DecodeWrittenMutation(cell, mutation)) &&
      IsValueOf(mutation, key)) [[likely]] {
    value = mutation.value;
    return true;
  }
  return false;
}

absl::StatusOr<std::optional<std::string>> SimStateMachineStorage::Get(ShardId shard_id,
                                                                       absl::string_view key) {
  // After a failed write the shard may lack a batch it was told to apply:
  // answering from it would serve a stale value (state_machine_storage.h).
  KV_RETURN_IF_ERROR(gate_->Check());
  SimDisk::FileRef file;
  const Span* span = FindValue(shard_id, key, file);
  if (span == nullptr) return std::nullopt;
  return ReadValue<std::optional<std::string>>(disk_, file, *span, key);
}

absl::StatusOr<bool> SimStateMachineStorage::GetInto(ShardId shard_id, absl::string_view key,
                                                     std::string& value) {
  // As in Get. The gate is asked for its Status only once it has closed:
  // every applied command reads here, and the check's Status (built,
  // tested, destroyed) cost more than the test.
  if (gate_->failed()) [[unlikely]] return gate_->Check();
  SimDisk::FileRef file;
  const Span* span = FindValue(shard_id, key, file);
  if (span == nullptr) return false;
  absl::string_view stored;
  if (ViewValueWithoutFaults(file, *span, key, stored)) [[likely]] {
    value.assign(stored.data(), stored.size());
    return true;
  }
  return ReadValueInto(file, *span, key, value);
}

absl::StatusOr<bool> SimStateMachineStorage::ReadValueInto(SimDisk::FileRef file, const Span& span,
                                                           absl::string_view key,
                                                           std::string& value) {
  return ReadCell(disk_, file, span.offset, span.length,
                  [key, &value](absl::string_view cell) -> absl::StatusOr<bool> {
                    KV_ASSIGN_OR_RETURN(absl::string_view stored, ValueOfCell(cell, key));
                    value.assign(stored.data(), stored.size());
                    return true;
                  });
}

SimStateMachineStorage::Shard& SimStateMachineStorage::ShardFor(ShardId shard_id) {
  auto [it, inserted] = shards_.try_emplace(shard_id);
  if (inserted) {
    it->second.file = disk_.Resolve(SimShardFileName(shard_id));
    ReserveJournal(disk_, it->second.file, RewriteThresholdBytes(it->second));
    IndexShard(shard_id, it->second);
  }
  return it->second;
}

uint64_t SimStateMachineStorage::AppliedIndex(ShardId shard_id) const {
  const Shard* const shard = FindShard(shard_id);
  return shard == nullptr ? 0 : shard->applied_index;
}

std::vector<ShardId> SimStateMachineStorage::Shards() const {
  std::vector<ShardId> ids;
  for (const auto& [id, shard] : shards_) ids.push_back(id);
  return ids;
}

absl::StatusOr<std::vector<KeyValue>> SimStateMachineStorage::ReadAll(SimDisk::FileRef file,
                                                                      const Shard& shard) {
  // In key order: the reads may draw faults, so their order must not
  // depend on the hash map's.
  using Value = std::pair<const std::string, Span>;
  std::vector<const Value*> sorted;
  sorted.reserve(shard.values.size());
  for (const Value& value : shard.values) sorted.push_back(&value);
  SortByKey(sorted, [](const Value* value) { return absl::string_view(value->first); });
  std::vector<KeyValue> pairs;
  pairs.reserve(sorted.size());
  for (const Value* entry : sorted) {
    absl::string_view stored;
    if (ViewValueWithoutFaults(file, entry->second, entry->first, stored)) [[likely]] {
      pairs.push_back(KeyValue{entry->first, std::string(stored)});
      continue;
    }
    KV_ASSIGN_OR_RETURN(std::string value, ReadValue(disk_, file, entry->second, entry->first));
    pairs.push_back(KeyValue{entry->first, std::move(value)});
  }
  return pairs;
}

absl::StatusOr<std::unique_ptr<ShardSnapshotReader>> SimStateMachineStorage::ReadSnapshot(
    ShardId shard_id) {
  // The sim reads the whole shard up front: journal rewrites move values, so
  // a lazy reader could not keep a point-in-time view by offsets alone.
  KV_RETURN_IF_ERROR(gate_->Check());
  std::vector<KeyValue> pairs;
  auto shard = shards_.find(shard_id);
  if (shard != shards_.end()) {
    KV_ASSIGN_OR_RETURN(pairs, ReadAll(shard->second.file, shard->second));
  }
  return std::make_unique<ShardSnapshotReader>(
      AppliedIndex(shard_id), std::make_unique<VectorPairSource>(std::move(pairs)));
}

void SimStateMachineStorage::InstallSnapshot(ShardId shard_id, ShardImage image,
                                             env::OnDone on_done) {
  absl::Status status = gate_->Check();
  if (status.ok() && image.applied_index <= AppliedIndex(shard_id)) {
    status = absl::FailedPreconditionError(
        absl::StrCat("shard ", shard_id, ": snapshot at applied index ", image.applied_index,
                     " is not above the stored ", AppliedIndex(shard_id)));
  }
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  std::vector<Mutation> puts;
  puts.reserve(image.pairs.size());
  for (KeyValue& pair : image.pairs) {
    puts.push_back(Mutation::Put(std::move(pair.key), std::move(pair.value)));
  }
  std::string record;
  FrameBatch(record, RecordType::kShardImage, image.applied_index, puts);
  // The shard is created only once its image is written: a failed install
  // must not add a shard to Shards().
  auto existing = shards_.find(shard_id);
  status = disk_.Replace(existing != shards_.end() ? existing->second.file
                                                   : disk_.Resolve(SimShardFileName(shard_id)),
                         record);
  if (!status.ok()) {
    gate_->Fail(status);
    return Complete(std::move(status), std::move(on_done));
  }
  Shard& shard = ShardFor(shard_id);
  KV_CHECK(Replay(shard, JournalRecord{RecordType::kShardImage, kRecordHeaderBytes,
                                       RecordPayload(record)})
               .ok());
  ReserveJournal(disk_, shard.file, RewriteThresholdBytes(shard));
  Complete(absl::OkStatus(), std::move(on_done));
}

void SimStateMachineStorage::Rewrite(SimDisk::FileRef file, Shard& shard) {
  absl::StatusOr<std::vector<KeyValue>> pairs = ReadAll(file, shard);
  // A failed read skips this rewrite; the journal stays valid as it is.
  if (!pairs.ok()) return;
  std::vector<Mutation> puts;
  puts.reserve(pairs->size());
  for (KeyValue& pair : *pairs) {
    puts.push_back(Mutation::Put(std::move(pair.key), std::move(pair.value)));
  }
  std::string record;
  FrameBatch(record, RecordType::kShardImage, shard.applied_index, puts);
  if (absl::Status status = disk_.Replace(file, record); !status.ok()) {
    gate_->Fail(status);
    return;
  }
  ++rewrite_count_;
  KV_CHECK(Replay(shard, JournalRecord{RecordType::kShardImage, kRecordHeaderBytes,
                                       RecordPayload(record)})
               .ok());
  ReserveJournal(disk_, file, RewriteThresholdBytes(shard));
}

}  // namespace kv::storage
