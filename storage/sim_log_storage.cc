#include "storage/sim_log_storage.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "node/env/check.h"
#include "node/env/status_macros.h"
#include "storage/coding.h"
#include "storage/crc32c.h"

namespace kv::storage {
namespace {

// The journal is rewritten once it is more than twice its live content plus
// this slack, so small logs are never rewritten and large ones stay bounded.
constexpr uint64_t kRewriteSlackBytes = 64 * 1024;

}  // namespace

std::string SimLogFileName(GroupId group) { return absl::StrFormat("log/%020d", group); }

SimLogStorage::SimLogStorage(SimDisk& disk, std::string file)
    : disk_(disk),
      file_(std::move(file)),
      file_ref_(disk.Resolve(file_)),
      gate_(&disk.NewWriteGate()),
      alterations_at_open_(disk.alterations()) {}

absl::StatusOr<std::unique_ptr<SimLogStorage>> SimLogStorage::Open(SimDisk& disk, GroupId group) {
  std::unique_ptr<SimLogStorage> storage(new SimLogStorage(disk, SimLogFileName(group)));
  if (disk.FileSize(storage->file_ref_) == 0) {
    ReserveJournal(disk, storage->file_ref_, storage->RewriteThresholdBytes());
    storage->SyncRecoveredState();
    return storage;
  }
  StableReadScratch scratch;
  KV_ASSIGN_OR_RETURN(absl::string_view bytes,
                      ReadStable(disk, storage->file_ref_, storage->file_, scratch));
  KV_ASSIGN_OR_RETURN(ParsedJournal journal, ParseJournal(bytes, storage->file_));
  for (const JournalRecord& record : journal.records) {
    KV_RETURN_IF_ERROR(storage->Replay(record));
  }
  if (journal.torn_tail) {
    // Cut the torn record off before anything is appended after it, or it
    // would sit mid-file and fail the next recovery as corruption.
    storage->recovered_torn_tail_ = true;
    KV_RETURN_IF_ERROR(disk.Replace(storage->file_ref_, std::string(bytes.substr(0, journal.valid_bytes))));
  }
  storage->state_.CheckInvariants();
  ReserveJournal(disk, storage->file_ref_, storage->RewriteThresholdBytes());
  storage->SyncRecoveredState();
  return storage;
}

absl::Status SimLogStorage::Replay(const JournalRecord& record) {
  switch (record.type) {
    case RecordType::kLogWrite:
      return ReplayWrite(record);
    case RecordType::kLogSnapshot:
      return ReplaySnapshot(record);
    case RecordType::kLogCompact:
      return ReplayCompact(record);
    case RecordType::kLogImage:
      return ReplayImage(record);
    default:
      return absl::DataLossError(absl::StrCat("record type ", static_cast<int>(record.type),
                                              " does not belong in log journal ", file_));
  }
}

absl::Status SimLogStorage::ReplayWrite(const JournalRecord& record) {
  LogWrite& write = replay_write_;
  KV_RETURN_IF_ERROR(DecodeWriteTermsInto(record.payload, write, replay_cells_));
  // The write was valid when it was made; replaying it onto the same state
  // must be valid again, or the journal is not the one we wrote.
  if (absl::Status status = state_.CheckWrite(write); !status.ok()) {
    return absl::DataLossError(absl::StrCat("journal ", file_, " replays an invalid write: ",
                                            status.message()));
  }
  const AppendPlan plan = state_.PlanWrite(write);
  if (plan.skipped_count != 0) {
    return absl::DataLossError(absl::StrCat("journal ", file_, " holds compacted entries"));
  }
  if (plan.truncate_from <= plan.truncate_to) {
    entry_spans_.resize(plan.truncate_from - state_.FirstIndex());
  }
  AddEntrySpans(record.payload_offset, replay_cells_);
  state_.ApplyWrite(write);
  return absl::OkStatus();
}

absl::Status SimLogStorage::ReplaySnapshot(const JournalRecord& record) {
  KV_ASSIGN_OR_RETURN(DecodedSnapshot decoded, DecodeSnapshotPayload(record.payload));
  if (absl::Status status = state_.CheckSnapshot(decoded.stored.metadata); !status.ok()) {
    return absl::DataLossError(absl::StrCat("journal ", file_, " replays a stale snapshot: ",
                                            status.message()));
  }
  if (!state_.SnapshotKeepsLog(decoded.stored.metadata)) entry_spans_.clear();
  snapshot_data_ = Span{record.payload_offset + decoded.data.offset, decoded.data.length};
  state_.ApplySnapshot(decoded.stored);
  return absl::OkStatus();
}

absl::Status SimLogStorage::ReplayCompact(const JournalRecord& record) {
  KV_ASSIGN_OR_RETURN(LogBase base, DecodeLogBase(record.payload));
  if (!state_.CheckCompact(base.index).ok() || !(state_.PlanCompact(base.index) == base)) {
    return absl::DataLossError(absl::StrCat("journal ", file_, " replays an invalid compaction to ",
                                            base.index));
  }
  entry_spans_.erase(entry_spans_.begin(),
                     entry_spans_.begin() + static_cast<int64_t>(base.index - state_.base().index));
  state_.ApplyCompact(base.index);
  return absl::OkStatus();
}

absl::Status SimLogStorage::ReplayImage(const JournalRecord& record) {
  KV_ASSIGN_OR_RETURN(DecodedImage image, DecodeImagePayload(record.payload));
  // An image replaces everything before it.
  state_ = LogState();
  entry_spans_.clear();
  snapshot_data_ = Span{};
  state_.RecoverBase(image.base);
  if (image.snapshot.has_value()) {
    state_.RecoverSnapshot(image.snapshot->stored);
    snapshot_data_ =
        Span{record.payload_offset + image.snapshot->data.offset, image.snapshot->data.length};
  }
  state_.RecoverHardState(image.hard_state);
  for (const LogEntry& entry : image.entries) {
    KV_RETURN_IF_ERROR(state_.RecoverEntry(entry.index, entry.term));
  }
  AddEntrySpans(record.payload_offset, image.entry_cells);
  return absl::OkStatus();
}

// Inline: every write adds its entries' spans here, usually one, and the
// call cost more than the copy.
[[gnu::always_inline]] inline void SimLogStorage::AddEntrySpans(uint64_t payload_offset,
                                                                const std::vector<Span>& cells) {
  for (const Span& cell : cells) {
    entry_spans_.push_back(Span{payload_offset + cell.offset, cell.length});
  }
}

template <typename WritePayload>
absl::StatusOr<uint64_t> SimLogStorage::AppendRecordSized(RecordType type, size_t payload_bytes,
                                                          WritePayload&& write_payload) {
  const uint64_t payload_offset = disk_.FileSize(file_ref_) + kRecordHeaderBytes;
  // Framed in the page cache itself (SimDisk::AppendEncoded): no copy, and
  // one resize for the header and payload.
  absl::Status status = disk_.AppendEncoded(file_ref_, [&](SimPageCache& out) {
    const size_t record_start = BeginRecord(out, type, payload_bytes);
    write_payload(out.data() + record_start + kRecordHeaderBytes);
    FinishRecord(out, record_start);
  });
  if (!status.ok()) {
    gate_->Fail(status);
    return status;
  }
  return payload_offset;
}

absl::StatusOr<uint64_t> SimLogStorage::AppendRecord(RecordType type, absl::string_view payload) {
  return AppendRecordSized(type, payload.size(),
                           [payload](char* out) { CopyBytes(out, payload); });
}

void SimLogStorage::SyncRecoveredState() {
  // What recovery read may still be only in the page cache (written before a
  // failed sync, then a process restart). Make it durable before anything
  // is acknowledged: syncs complete in order, so every later completion
  // comes after this one, and a failure closes the gate first.
  disk_.Sync([gate = gate_](absl::Status status) { gate->Fail(status); });
}

void SimLogStorage::Complete(absl::Status status, env::OnDone&& on_done) {
  // Every completion, even a validation error, waits for the next sync so
  // that completions keep issue order.
  disk_.SyncThenComplete(std::move(on_done), std::move(status), *gate_);
}

void SimLogStorage::Write(const LogWrite& write, env::OnDone on_done) {
  // The gate is asked for its Status only once it has closed: every write
  // passes here (as every apply does SimStateMachineStorage::Apply).
  if (gate_->failed()) [[unlikely]] return Complete(gate_->Check(), std::move(on_done));
  AppendPlan plan;
  if (absl::Status status = state_.CheckWrite(write, plan); !status.ok()) [[unlikely]] {
    return Complete(std::move(status), std::move(on_done));
  }
  cell_buffer_.clear();
  const size_t payload_bytes = WritePayloadBytes(write, plan.skipped_count);
  absl::StatusOr<uint64_t> offset =
      AppendRecordSized(RecordType::kLogWrite, payload_bytes, [&](char* payload) {
        WriteWritePayload(payload, payload_bytes, write, plan.skipped_count, cell_buffer_);
      });
  if (!offset.ok()) return Complete(offset.status(), std::move(on_done));
  if (plan.truncate_from <= plan.truncate_to) {
    entry_spans_.resize(plan.truncate_from - state_.FirstIndex());
  }
  AddEntrySpans(*offset, cell_buffer_);
  state_.ApplyWrite(write, plan);
  KV_DCHECK_EQ(entry_spans_.size(), state_.LastIndex() - state_.base().index);
  CompleteOk(std::move(on_done));
}

void SimLogStorage::SaveSnapshot(LogSnapshot snapshot, env::OnDone on_done) {
  absl::Status status = gate_->Check();
  if (status.ok()) status = state_.CheckSnapshot(snapshot.metadata);
  if (!status.ok()) return Complete(std::move(status), std::move(on_done));
  const StoredSnapshotMetadata stored{snapshot.metadata, snapshot.data.size(),
                                      Crc32c(snapshot.data)};
  EncodedPayload payload = EncodeSnapshotPayload(stored, snapshot.data);
  absl::StatusOr<uint64_t> offset = AppendRecord(RecordType::kLogSnapshot, payload.bytes);
  if (!offset.ok()) return Complete(offset.status(), std::move(on_done));
  if (!state_.SnapshotKeepsLog(stored.metadata)) entry_spans_.clear();
  snapshot_data_ = Span{*offset + payload.snapshot_data.offset, payload.snapshot_data.length};
  state_.ApplySnapshot(stored);
  MaybeRewrite();
  Complete(absl::OkStatus(), std::move(on_done));
}

void SimLogStorage::Compact(uint64_t index, env::OnDone on_done) {
  absl::Status status = gate_->Check();
  if (status.ok()) status = state_.CheckCompact(index);
  if (!status.ok() || index <= state_.base().index) {
    return Complete(std::move(status), std::move(on_done));
  }
  const LogBase base = state_.PlanCompact(index);
  absl::StatusOr<uint64_t> offset =
      AppendRecord(RecordType::kLogCompact, EncodeCompactPayload(base));
  if (!offset.ok()) return Complete(offset.status(), std::move(on_done));
  entry_spans_.erase(entry_spans_.begin(),
                     entry_spans_.begin() + static_cast<int64_t>(index - state_.base().index));
  state_.ApplyCompact(index);
  MaybeRewrite();
  Complete(absl::OkStatus(), std::move(on_done));
}

uint64_t SimLogStorage::RewriteThresholdBytes() const {
  uint64_t live_bytes = snapshot_data_.length;
  for (const Span& span : entry_spans_) live_bytes += span.length;
  return 2 * live_bytes + kRewriteSlackBytes;
}

void SimLogStorage::MaybeRewrite() {
  if (disk_.FileSize(file_ref_) <= RewriteThresholdBytes()) return;
  LogImage image;
  image.base = state_.base();
  image.hard_state = state_.hard_state();
  image.first_index = state_.FirstIndex();
  if (state_.snapshot().metadata.index > 0) {
    absl::StatusOr<LogSnapshot> snapshot = LoadSnapshot();
    // A failed read skips this rewrite; the journal stays valid as it is.
    if (!snapshot.ok()) return;
    image.snapshot = state_.snapshot();
    image.snapshot_data = std::move(snapshot->data);
  }
  for (size_t i = 0; i < entry_spans_.size(); ++i) {
    const uint64_t index = state_.FirstIndex() + i;
    absl::StatusOr<std::string> cell = ReadCell(
        disk_, file_ref_, entry_spans_[i].offset, entry_spans_[i].length,
        [index](absl::string_view bytes) -> absl::StatusOr<std::string> {
          KV_RETURN_IF_ERROR(DecodeEntry(bytes, index).status());
          return std::string(bytes);
        });
    if (!cell.ok()) return;
    image.entry_cells.push_back(*std::move(cell));
  }
  EncodedPayload payload = EncodeImagePayload(image);
  if (absl::Status status =
          disk_.Replace(file_ref_, FrameRecord(RecordType::kLogImage, payload.bytes));
      !status.ok()) {
    gate_->Fail(status);
    return;
  }
  ++rewrite_count_;
  entry_spans_.clear();
  AddEntrySpans(kRecordHeaderBytes, payload.entry_cells);
  if (image.snapshot.has_value()) {
    snapshot_data_ = Span{kRecordHeaderBytes + payload.snapshot_data.offset,
                          payload.snapshot_data.length};
  }
  ReserveJournal(disk_, file_ref_, RewriteThresholdBytes());
}

absl::StatusOr<std::vector<LogEntry>> SimLogStorage::Entries(uint64_t lo, uint64_t hi,
                                                             uint64_t max_bytes) {
  std::vector<LogEntry> entries;
  KV_RETURN_IF_ERROR(VisitEntries(lo, hi, max_bytes,
                                  [&entries](uint64_t index, uint64_t term, absl::string_view payload) {
                                    entries.push_back(LogEntry{index, term, std::string(payload)});
                                  }));
  return entries;
}

absl::Status SimLogStorage::VisitEntries(uint64_t lo, uint64_t hi, uint64_t max_bytes,
                                         EntryVisitor visit) {
  KV_RETURN_IF_ERROR(state_.CheckRange(lo, hi));
  uint64_t total_bytes = 0;
  // Visits `entry` unless it takes the payloads past max_bytes (the first
  // entry goes regardless), and returns whether to go on. The limit is
  // checked after the read, so the reads (and the fault draws they make)
  // are those of a copying read.
  auto visit_within_limit = [&](uint64_t index, const LogEntryView& entry) {
    total_bytes += entry.payload.size();
    if (max_bytes != 0 && index != lo && total_bytes > max_bytes) return false;
    visit(entry.index, entry.term, entry.payload);
    return true;
  };
  // Whether the cells may have changed since they were checksummed: only
  // then is an entry's checksum computed again on the usual path below.
  const bool altered = disk_.alterations() != alterations_at_open_;
  for (uint64_t index = lo; index < hi; ++index) {
    const Span& span = entry_spans_[index - state_.FirstIndex()];
    // The usual case, an intact entry where no read fault can fire, builds
    // no Status: ReadCell's, around every entry read, showed in the
    // simulator's profile.
    absl::string_view cell;
    LogEntryView entry;
    if (disk_.ViewWithoutFaults(file_ref_, span.offset, span.length, cell) &&
        (altered ? DecodeIntactEntry(cell, index, entry)
                 : DecodeWrittenEntry(cell, index, entry))) [[likely]] {
      if (!visit_within_limit(index, entry)) break;
      continue;
    }
    // Anything else goes through ReadCell, which draws the read faults,
    // reads once more after a bad checksum, and reports the error; the look
    // above drew nothing, so this is the read there would have been. The
    // entry is visited inside the decode callback, while the view of the
    // disk it was decoded from is still valid.
    bool go_on = true;
    KV_RETURN_IF_ERROR(ReadCell(
        disk_, file_ref_, span.offset, span.length, [&](absl::string_view bytes) -> absl::Status {
          absl::StatusOr<LogEntryView> decoded = DecodeEntryView(bytes, index);
          if (!decoded.ok()) return decoded.status();
          go_on = visit_within_limit(index, *decoded);
          return absl::OkStatus();
        }));
    if (!go_on) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<LogSnapshot> SimLogStorage::LoadSnapshot() {
  const StoredSnapshotMetadata& stored = state_.snapshot();
  if (stored.metadata.index == 0) return absl::NotFoundError("no snapshot stored");
  KV_ASSIGN_OR_RETURN(
      std::string data,
      ReadCell(disk_, file_ref_, snapshot_data_.offset, snapshot_data_.length,
               [&stored](absl::string_view bytes) -> absl::StatusOr<std::string> {
                 KV_RETURN_IF_ERROR(VerifySnapshotData(stored, bytes));
                 return std::string(bytes);
               }));
  return LogSnapshot{stored.metadata, std::move(data)};
}

}  // namespace kv::storage
