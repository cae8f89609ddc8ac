#pragma once
// RaftLogView: presents a storage::LogStorage (durable, opaque payloads) as
// the read-only raft::LogStorage the Raft core reads. Layer: node.
//
// A stored entry's payload is the serialized raft::Entry; a stored snapshot's
// config is the serialized raft::ConfState, and its data is the shard image
// stream (storage/shard_snapshot.h). Writing is the host's job (ShardReplica);
// this class only translates reads.
//
// Snapshots to send are made on demand (etcd v3's design): the log keeps
// only the compaction point, and when a follower needs a snapshot the
// host's SnapshotSource encodes the state machine as it is then. Compacting
// thus costs no copy of the state; a snapshot costs one when it is sent.

#include <cstdint>
#include <string>
#include <vector>

#include "node/env/memory_budget.h"
#include "node/kv/log_payload_writer.h"
#include "raft/log_storage.h"
#include "storage/log_storage.h"

namespace kv::node {

// Makes the snapshot a leader sends: the state machine's whole state at an
// index at or above the log's compaction point.
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // Fills `snapshot` and reserves its data's bytes in `memory` (the view
  // holds the reservation while it keeps the snapshot). Errors:
  // kUnavailable if none can be made now, kResourceExhausted if the memory
  // budget cannot hold it (the leader tries again later either way); a
  // storage read's error.
  [[nodiscard]] virtual absl::Status MakeSnapshot(raft::Snapshot& snapshot, env::Reservation& memory) = 0;

 protected:
  SnapshotSource() = default;
  SnapshotSource(const SnapshotSource&) = default;
  SnapshotSource& operator=(const SnapshotSource&) = default;
};

class RaftLogView final : public raft::LogStorage {
 public:
  // `log` and `source` must outlive the view. `bootstrap` is the group's
  // membership when the log holds no snapshot. The snapshots sent are the
  // source's: a local compaction stores no data in the log.
  RaftLogView(storage::LogStorage& log, raft::ConfState bootstrap, SnapshotSource& source);

  raft::InitialState GetInitialState() const override;
  absl::StatusOr<std::vector<raft::Entry>> Entries(uint64_t lo, uint64_t hi,
                                                   uint64_t max_bytes) const override;
  absl::Status EntriesInto(uint64_t lo, uint64_t hi, uint64_t max_bytes,
                           std::vector<raft::Entry>& out) const override;
  absl::StatusOr<uint64_t> Term(uint64_t index) const override;
  uint64_t FirstIndex() const override { return log_.FirstIndex(); }
  uint64_t LastIndex() const override { return log_.LastIndex(); }
  raft::SnapshotMetadata GetSnapshotMetadata() const override;
  absl::StatusOr<std::string> SnapshotChunk(uint64_t snapshot_index, uint64_t offset,
                                            uint64_t max_bytes) const override;

  // Converts between the core's and the storage's shapes. An entry is
  // written over `out`, reusing its payload's buffer. The entry's and the
  // hard state's inline: once per entry and per Ready written.
  static void ToStorage(const raft::Entry& entry, storage::LogEntry& out) {
    out.index = entry.index();
    out.term = entry.term();
    SerializeEntryInto(entry, out.payload);
  }
  static storage::HardState ToStorage(const raft::HardState& hard_state) {
    return storage::HardState{hard_state.term(), hard_state.vote(), hard_state.commit()};
  }
  static storage::LogSnapshot ToStorage(const raft::Snapshot& snapshot);

  // Drops the snapshot kept for sending, and its memory: for a replica that
  // is no longer the leader, or whose followers all have what they need.
  // Const as the cache it empties is (reads fill it).
  void ReleaseSnapshot() const;
  // Whether a snapshot is kept for sending.
  bool holds_snapshot() const { return cached_snapshot_.index() != 0; }

 private:
  // The membership the log's stored snapshot records (the bootstrap one
  // when there is none).
  raft::ConfState StoredConfState() const;
  // Makes the snapshot to send unless the cached one still covers the
  // log's compaction point.
  absl::Status CacheSnapshot() const;

  storage::LogStorage& log_;
  raft::ConfState bootstrap_;
  SnapshotSource& source_;
  // The last snapshot made, kept while leaders stream it out in
  // chunks: its metadata (index 0 when there is none) and data.
  mutable raft::SnapshotMetadata cached_snapshot_;
  mutable std::string cached_snapshot_data_;
  mutable env::Reservation cached_memory_;
};

}  // namespace kv::node
