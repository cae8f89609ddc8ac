#pragma once
// Read-only view of a member's durable Raft state (layer: raft/). The core
// reads stable entries, the hard state and the latest snapshot through it and
// never writes: the host persists what Ready hands out, then acknowledges.
// Implementations: MemoryLogStorage (tests, raft/), the storage layer's
// durable ones (storage/).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/raft.pb.h"

namespace kv::raft {

struct InitialState {
  HardState hard_state;
  // Membership as of the latest snapshot (the bootstrap configuration for a
  // fresh group). Conf changes after it are replayed from the log on apply.
  ConfState conf_state;
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  virtual InitialState GetInitialState() const = 0;

  // Entries in [lo, hi), stopping once their data exceeds max_bytes (at least
  // one entry is returned; 0 = unlimited). Preconditions: FirstIndex() <= lo
  // < hi <= LastIndex() + 1. Errors: kOutOfRange if lo was compacted away.
  [[nodiscard]] virtual absl::StatusOr<std::vector<Entry>> Entries(
      uint64_t lo, uint64_t hi, uint64_t max_bytes) const = 0;
  // The same entries, written over out's previous contents. Hosts that
  // decode entries override it to reuse out's vector and the entries'
  // string buffers (a refilled Ready's committed entries); this default
  // just moves Entries' result in.
  [[nodiscard]] virtual absl::Status EntriesInto(uint64_t lo, uint64_t hi,
                                                 uint64_t max_bytes,
                                                 std::vector<Entry>& out) const {
    absl::StatusOr<std::vector<Entry>> entries = Entries(lo, hi, max_bytes);
    if (!entries.ok()) return entries.status();
    out = std::move(*entries);
    return absl::OkStatus();
  }

  // Term of the entry at index, for FirstIndex() - 1 <= index <= LastIndex().
  // Errors: kOutOfRange if index was compacted or is beyond LastIndex().
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Term(uint64_t index) const = 0;

  // Index of the first entry still available (snapshot index + 1).
  virtual uint64_t FirstIndex() const = 0;
  // Index of the last stored entry (the snapshot index when empty).
  virtual uint64_t LastIndex() const = 0;

  // Metadata of the snapshot to send a follower whose entries were
  // compacted away. Its index is at least FirstIndex() - 1 and at most the
  // last applied entry; a host may produce it on demand from its state
  // machine (as etcd v3 does), so it can be newer than the compaction
  // point. Index 0: none can be had now (etcd's
  // ErrSnapshotTemporarilyUnavailable); the leader tries again later.
  virtual SnapshotMetadata GetSnapshotMetadata() const = 0;

  // Up to max_bytes of that snapshot's data from offset. Errors:
  // kFailedPrecondition if the latest snapshot is no longer snapshot_index
  // (the leader then restarts the transfer); kOutOfRange if offset > size;
  // others if the data cannot be read now (the leader tries again later).
  [[nodiscard]] virtual absl::StatusOr<std::string> SnapshotChunk(
      uint64_t snapshot_index, uint64_t offset, uint64_t max_bytes) const = 0;
};

// Sum of the data sizes of entries, the unit of all byte limits. Inline:
// a leader sums the entries of every Ready it applies.
inline uint64_t EntriesDataSize(const std::vector<Entry>& entries) {
  uint64_t size = 0;
  for (const Entry& entry : entries) size += entry.data().size();
  return size;
}

}  // namespace kv::raft
