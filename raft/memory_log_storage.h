#pragma once
// In-memory LogStorage for tests and benchmarks (layer: raft/). The host side
// writes (Append, SetHardState, ApplySnapshot, CreateSnapshot, Compact) mirror
// what a durable storage does when it persists a Ready.

#include <cstdint>
#include <string>
#include <vector>

#include "raft/log_storage.h"

namespace kv::raft {

class MemoryLogStorage final : public LogStorage {
 public:
  // A fresh group whose bootstrap membership is `conf_state` (a snapshot at
  // index 0, term 0).
  explicit MemoryLogStorage(ConfState conf_state);

  InitialState GetInitialState() const override;
  [[nodiscard]] absl::StatusOr<std::vector<Entry>> Entries(
      uint64_t lo, uint64_t hi, uint64_t max_bytes) const override;
  [[nodiscard]] absl::StatusOr<uint64_t> Term(uint64_t index) const override;
  uint64_t FirstIndex() const override;
  uint64_t LastIndex() const override;
  SnapshotMetadata GetSnapshotMetadata() const override;
  [[nodiscard]] absl::StatusOr<std::string> SnapshotChunk(
      uint64_t snapshot_index, uint64_t offset,
      uint64_t max_bytes) const override;

  void SetHardState(const HardState& hard_state) { hard_state_ = hard_state; }
  const HardState& hard_state() const { return hard_state_; }

  // Appends entries, first dropping any stored suffix from entries[0].index.
  // Entries at or below the snapshot index are skipped. Precondition: the
  // first entry is at most LastIndex() + 1.
  void Append(std::vector<Entry> entries);

  // Replaces the whole log with a received snapshot. Errors:
  // kFailedPrecondition if it is older than the current snapshot.
  [[nodiscard]] absl::Status ApplySnapshot(const Snapshot& snapshot);

  // Records a local snapshot of the state machine at `index` (<= LastIndex())
  // with the given membership and data. Errors: kFailedPrecondition if index
  // is at or below the current snapshot or beyond the last entry.
  [[nodiscard]] absl::Status CreateSnapshot(uint64_t index,
                                            const ConfState& conf_state,
                                            std::string data);

  // Drops entries up to and including index (which must be covered by the
  // snapshot). Errors: kFailedPrecondition otherwise.
  [[nodiscard]] absl::Status Compact(uint64_t index);

  const Snapshot& snapshot() const { return snapshot_; }

  // While set, no snapshot can be had (GetSnapshotMetadata reports index 0
  // and SnapshotChunk fails), as with a host that makes snapshots on demand
  // and cannot make one now (raft_log_view.h).
  void set_snapshot_unavailable(bool unavailable) { snapshot_unavailable_ = unavailable; }

 private:
  bool snapshot_unavailable_ = false;
  HardState hard_state_;
  Snapshot snapshot_;
  // entries_[0] is a dummy entry at the snapshot index and term.
  std::vector<Entry> entries_;
};

}  // namespace kv::raft
