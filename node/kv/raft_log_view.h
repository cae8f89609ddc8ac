#pragma once
// RaftLogView: presents a storage::LogStorage (durable, opaque payloads) as
// the read-only raft::LogStorage the Raft core reads. Layer: node.
//
// A stored entry's payload is the serialized raft::Entry; a stored snapshot's
// config is the serialized raft::ConfState, and its data is the shard image
// stream (storage/shard_snapshot.h). Writing is the host's job (ShardReplica);
// this class only translates reads.

#include <cstdint>
#include <string>
#include <vector>

#include "node/kv/log_payload_writer.h"
#include "raft/log_storage.h"
#include "storage/log_storage.h"

namespace kv::node {

class RaftLogView final : public raft::LogStorage {
 public:
  // `log` must outlive the view. `bootstrap` is the group's membership when
  // the log holds no snapshot.
  RaftLogView(storage::LogStorage& log, raft::ConfState bootstrap);

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

 private:
  // Loads the stored snapshot's data if it is not cached yet.
  absl::Status CacheSnapshot() const;

  storage::LogStorage& log_;
  raft::ConfState bootstrap_;
  // The last snapshot read, kept while leaders stream it out in chunks.
  mutable uint64_t cached_snapshot_index_ = 0;
  mutable std::string cached_snapshot_data_;
};

}  // namespace kv::node
