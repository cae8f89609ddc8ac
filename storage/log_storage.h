#pragma once
// LogStorage: the durable Raft log and hard state of one Raft group.
// Layer: storage/ (node/env below it; nothing of raft/).
//
// Implementations: RocksLogStorage (real nodes; storage/rocks_log_storage.h)
// and SimLogStorage (the simulator; storage/sim_log_storage.h). Both are held
// to one conformance suite (storage/log_storage_conformance_test.cc).
//
// The stored log is a snapshot, then a run of contiguous entries:
//
//   [snapshot .. base] (base+1 .. last]
//            ^ the base is the compaction point: the last dropped entry
//
// FirstIndex() == base + 1 and LastIndex() >= base. Term(base) is known (it
// comes from the compaction or the snapshot) so that Raft's log-matching
// check works for the first stored entry.
//
// Write contract (Write, SaveSnapshot, Compact):
// - A write is validated and applied to what reads see before the call
//   returns; it is durable when `on_done(OK)` runs. `on_done` runs exactly
//   once, on the executor's logic thread, never inline within the call.
// - Writes complete in the order they were issued (also across the storages
//   that share one disk or database). Writes issued while a sync
//   is in progress are covered together by the next single sync (group
//   commit), so a burst of N writes costs about two syncs, not N.
// - A write that fails validation changes nothing and completes with
//   kInvalidArgument or kFailedPrecondition.
// - Any I/O failure (a write or sync error) makes the storage unusable: that
//   write and every later one complete with an error, and the node must stop
//   serving and restart, recovering from what is durable. An error means "the
//   outcome is unknown": the write may or may not survive a crash. What is
//   never allowed is an OK completion for a write that a crash later loses.
// - kResourceExhausted means the disk is full; the storage is then unusable
//   as above (we cannot tell how much of the write reached the disk).
// - On a crash, every write that completed OK survives. Writes that had not
//   completed survive as a prefix, in issue order: if write k survives, so do
//   writes 1..k-1. Each single write is atomic.
//
// Read contract: reads see every accepted write, durable or not. Reads that
// touch the disk verify checksums and return kDataLoss rather than corrupt
// bytes. Not thread-safe: call from the node's logic thread only.

#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/env/executor.h"
#include "storage/types.h"

namespace kv::storage {

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  // Persists `write` (hard state and entries) atomically. `write` is read
  // during the call only, so a host may refill one for every write and keep
  // its entries' buffers. Entries at or below
  // the base are skipped (already covered by a snapshot); stored entries from
  // the first new entry's index on are replaced.
  // Errors (through on_done): kInvalidArgument if the entries are not
  // contiguous, would leave a gap after LastIndex(), have a term lower than
  // the entry before them, would replace an entry the snapshot covers (a
  // committed one), or if the hard state's term or commit decreases.
  virtual void Write(const LogWrite& write, env::OnDone on_done) = 0;

  // Stores a snapshot. Its data may be empty: a compaction point, whose
  // state the host keeps elsewhere (the KV replica's durable state machine
  // storage). If the log holds an entry at the snapshot's index with
  // the snapshot's term (a snapshot taken locally), the entries are kept;
  // otherwise (a snapshot received from the leader) the whole log is dropped
  // and the base becomes the snapshot's index and term.
  // Errors: kFailedPrecondition if the snapshot is not newer than the stored
  // one.
  virtual void SaveSnapshot(LogSnapshot snapshot, env::OnDone on_done) = 0;

  // Drops entries up to and including `index`, which becomes the base. Only
  // what a snapshot covers may be dropped, so a restarted node can always
  // rebuild its state from snapshot + log. A no-op if index <= base.
  // Errors: kFailedPrecondition if index > the snapshot's index.
  virtual void Compact(uint64_t index, env::OnDone on_done) = 0;

  // The last hard state written (zero if none).
  virtual HardState hard_state() const = 0;

  // base + 1.
  virtual uint64_t FirstIndex() const = 0;

  // Index of the last entry; the base when the log is empty.
  virtual uint64_t LastIndex() const = 0;

  // Term of the entry at `index`, for FirstIndex() - 1 <= index <= LastIndex().
  // Errors: kOutOfRange if compacted or beyond LastIndex().
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Term(uint64_t index) const = 0;

  // Entries in [lo, hi), stopping before the total payload size exceeds
  // `max_bytes` (at least one entry is returned when lo < hi; 0 = no limit).
  // Errors: kOutOfRange if lo < FirstIndex() or hi > LastIndex() + 1 or
  // lo > hi; kDataLoss if a stored entry fails its checksum.
  [[nodiscard]] virtual absl::StatusOr<std::vector<LogEntry>> Entries(uint64_t lo, uint64_t hi,
                                                                      uint64_t max_bytes) = 0;

  // The entries Entries would return, handed to `visit` in order, with the
  // same errors and the same reads. `payload` is valid only during the call:
  // a reader that decodes the payload at once (the Raft core's view) saves
  // a copy of every entry. On an error, `visit` may have seen a prefix.
  // The default goes through Entries; SimLogStorage reads in place.
  using EntryVisitor =
      absl::FunctionRef<void(uint64_t index, uint64_t term, absl::string_view payload)>;
  [[nodiscard]] virtual absl::Status VisitEntries(uint64_t lo, uint64_t hi, uint64_t max_bytes,
                                                  EntryVisitor visit) {
    absl::StatusOr<std::vector<LogEntry>> entries = Entries(lo, hi, max_bytes);
    if (!entries.ok()) return entries.status();
    for (const LogEntry& entry : *entries) visit(entry.index, entry.term, entry.payload);
    return absl::OkStatus();
  }

  // Metadata of the stored snapshot (index 0 when there is none).
  virtual SnapshotMetadata snapshot_metadata() const = 0;

  // The stored snapshot with its data, verified against its checksum.
  // Errors: kNotFound if there is none; kDataLoss if corrupt.
  [[nodiscard]] virtual absl::StatusOr<LogSnapshot> LoadSnapshot() = 0;
};

}  // namespace kv::storage
