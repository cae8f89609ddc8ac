#pragma once
// SimLogStorage: the LogStorage of one Raft group on a SimDisk (simulator).
// Layer: storage/. Deterministic: no threads, no wall clock.
//
// The log lives in one journal file, "log/<group id>" (sim_journal.h), with
// one record per write, so each write is atomic. Only term and file offset
// of each entry are kept in memory; entry reads go to the disk and verify the
// entry's checksum, so the read-corruption fault is caught where it happens.
// When compaction leaves the file mostly dead, it is rewritten as one image
// record (SimDisk::Replace, atomic like a rename).
//
// Completions run from the SimDisk's sync timer, never inline.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/log_state.h"
#include "storage/log_storage.h"
#include "storage/sim_disk.h"
#include "storage/sim_journal.h"
#include "storage/sim_log_records.h"
#include "storage/write_gate.h"

namespace kv::storage {

class SimLogStorage final : public LogStorage {
 public:
  // Opens the log of `group` on `disk`, recovering it from the journal and
  // cutting off a torn tail. `disk` must outlive the storage.
  // Errors: kDataLoss if the journal is corrupt before its tail (the node
  // must not start; it repairs from its peers).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SimLogStorage>> Open(SimDisk& disk,
                                                                           GroupId group);

  void Write(const LogWrite& write, env::OnDone on_done) override;
  void SaveSnapshot(LogSnapshot snapshot, env::OnDone on_done) override;
  void Compact(uint64_t index, env::OnDone on_done) override;

  HardState hard_state() const override { return state_.hard_state(); }
  uint64_t FirstIndex() const override { return state_.FirstIndex(); }
  uint64_t LastIndex() const override { return state_.LastIndex(); }
  [[nodiscard]] absl::StatusOr<uint64_t> Term(uint64_t index) const override {
    return state_.Term(index);
  }
  [[nodiscard]] absl::StatusOr<std::vector<LogEntry>> Entries(uint64_t lo, uint64_t hi,
                                                              uint64_t max_bytes) override;
  [[nodiscard]] absl::Status VisitEntries(uint64_t lo, uint64_t hi, uint64_t max_bytes,
                                          EntryVisitor visit) override;
  SnapshotMetadata snapshot_metadata() const override { return state_.snapshot().metadata; }
  [[nodiscard]] absl::StatusOr<LogSnapshot> LoadSnapshot() override;

  // Whether Open cut off a torn record (for tests and the simulator's trace).
  bool recovered_torn_tail() const { return recovered_torn_tail_; }
  // Times the journal was rewritten to drop compacted entries.
  int64_t rewrite_count() const { return rewrite_count_; }

 private:
  SimLogStorage(SimDisk& disk, std::string file);

  [[nodiscard]] absl::Status Replay(const JournalRecord& record);
  [[nodiscard]] absl::Status ReplayWrite(const JournalRecord& record);
  [[nodiscard]] absl::Status ReplaySnapshot(const JournalRecord& record);
  [[nodiscard]] absl::Status ReplayCompact(const JournalRecord& record);
  [[nodiscard]] absl::Status ReplayImage(const JournalRecord& record);

  // Appends a record; on failure closes the gate. Returns where the payload
  // starts in the file.
  [[nodiscard]] absl::StatusOr<uint64_t> AppendRecord(RecordType type, absl::string_view payload);
  // The same for a payload of `payload_bytes` that `write_payload(char*
  // payload)` writes at `payload`, in place in the file
  // (SimDisk::AppendEncoded). A template (defined in the .cc, its one user)
  // for the reason AppendEncoded is one.
  template <typename WritePayload>
  [[nodiscard]] absl::StatusOr<uint64_t> AppendRecordSized(RecordType type, size_t payload_bytes,
                                                           WritePayload&& write_payload);
  void AddEntrySpans(uint64_t payload_offset, const std::vector<Span>& cells);
  // Rewrites the file when compaction left it mostly dead.
  void MaybeRewrite();
  // The file size past which MaybeRewrite rewrites the file.
  uint64_t RewriteThresholdBytes() const;
  // Starts a sync of what recovery found; see the .cc for why.
  void SyncRecoveredState();
  // Completes `on_done` after the next sync, with `status` if it is an error.
  // `on_done` by rvalue reference: each move of a callback is an indirect
  // call, and this one only forwards it to the disk.
  void Complete(absl::Status status, env::OnDone&& on_done);
  // Complete(OkStatus(), on_done), inline: every successful write completes
  // here, and with the disk's request inline (SimDisk::SyncThenComplete)
  // GCC no longer inlined Complete.
  [[gnu::always_inline]] void CompleteOk(env::OnDone&& on_done) {
    disk_.SyncThenComplete(std::move(on_done), absl::OkStatus(), *gate_);
  }

  SimDisk& disk_;
  const std::string file_;
  const SimDisk::FileRef file_ref_;
  // The entry cells of the write being made; reused so that a write
  // allocates nothing once it has grown.
  std::vector<Span> cell_buffer_;
  // A replayed write and its cells, reused from one journal record to the
  // next while the storage opens.
  LogWrite replay_write_;
  std::vector<Span> replay_cells_;
  LogState state_;
  // File spans of the stored entries' cells: entry_spans_[i] is entry
  // FirstIndex() + i. Invariant: size == LastIndex() - FirstIndex() + 1.
  // A vector, not a deque: it is indexed on every entry read and appended
  // to on every write, and compaction (which erases its front) is rare.
  std::vector<Span> entry_spans_;
  // File span of the stored snapshot's data (empty when none).
  Span snapshot_data_;
  // One of disk_'s (SimDisk::NewWriteGate), so that completions still
  // queued in the disk may consult it after the storage is gone.
  WriteGate* const gate_;
  // disk_.alterations() when the storage opened. Every cell entry_spans_
  // refers to was checksummed then (recovery decodes each one), or written
  // since with its checksum; while the disk's count stays this, entry reads
  // skip verifying it again (SimDisk::alterations).
  const uint64_t alterations_at_open_;
  bool recovered_torn_tail_ = false;
  int64_t rewrite_count_ = 0;
};

// The journal file of `group`: "log/" and the id in 20 decimal digits, so
// that names sort numerically.
std::string SimLogFileName(GroupId group);

}  // namespace kv::storage
