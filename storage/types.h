#pragma once
// Plain value types of the storage layer: Raft log entries, hard state,
// snapshots and state-machine mutations. Layer: storage/.
//
// Storage is deliberately independent of raft/'s protobuf types (they are not
// stable yet): an entry's payload is the opaque serialized Raft entry, and a
// snapshot's configuration is opaque bytes. The host converts.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kv::storage {

// Names one Raft group (one shard replica) on a node. Many groups share a
// node's storage and are isolated from each other by this id.
using GroupId = uint64_t;

// Names a shard's state machine. By convention the shard's Raft group uses
// the same number, but storage does not rely on it.
using ShardId = uint64_t;

// One Raft log entry. Invariant (of a stored log): indexes are contiguous.
struct LogEntry {
  uint64_t index = 0;
  uint64_t term = 0;
  // The serialized Raft entry, opaque to storage.
  std::string payload;

  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// The Raft hard state (Raft paper, figure 2: currentTerm, votedFor, plus the
// commit index etcd-style). vote == 0 means "no vote in this term".
struct HardState {
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;

  friend bool operator==(const HardState&, const HardState&) = default;
};

// Describes a Raft snapshot: the last index and term it covers and the
// cluster configuration as of that index (opaque bytes).
struct SnapshotMetadata {
  uint64_t index = 0;
  uint64_t term = 0;
  std::string config;

  friend bool operator==(const SnapshotMetadata&, const SnapshotMetadata&) = default;
};

// A whole Raft snapshot as the log storage keeps it.
struct LogSnapshot {
  SnapshotMetadata metadata;
  // The snapshot's data, opaque to storage.
  std::string data;

  friend bool operator==(const LogSnapshot&, const LogSnapshot&) = default;
};

// What one Raft "ready" asks to persist: optionally a new hard state and a
// run of entries. Stored atomically: after a crash either all of it or none
// of it is there.
struct LogWrite {
  std::optional<HardState> hard_state;
  // Contiguous, increasing indexes; may be empty. Entries at or below the
  // compaction point are skipped; the stored suffix from entries[0].index on
  // is replaced (a conflicting suffix is truncated).
  std::vector<LogEntry> entries;
};

// One change to a shard's key space.
struct Mutation {
  enum class Kind : uint8_t { kPut = 1, kDelete = 2 };

  Kind kind = Kind::kPut;
  std::string key;
  // Empty for kDelete.
  std::string value;

  static Mutation Put(std::string key, std::string value) {
    return Mutation{Kind::kPut, std::move(key), std::move(value)};
  }
  static Mutation Delete(std::string key) { return Mutation{Kind::kDelete, std::move(key), {}}; }

  friend bool operator==(const Mutation&, const Mutation&) = default;
};

// A key and its value, as read from a shard.
struct KeyValue {
  std::string key;
  std::string value;

  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

}  // namespace kv::storage
