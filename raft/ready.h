#pragma once
// The output batch of the Raft core (layer: raft/). See raft.h and
// docs/raft.md for how a host drains it, in which order.

#include <cstdint>
#include <optional>
#include <vector>

#include "raft/kept_optional.h"
#include "raft/raft.pb.h"

namespace kv::raft {

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);

// Volatile state, for the host's information (routing, metrics).
struct SoftState {
  uint64_t leader_id = 0;
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

// A ReadIndex request that became safe: once the state machine has applied
// `index`, a read of it is linearizable.
struct ReadState {
  uint64_t index = 0;
  uint64_t request_id = 0;
  bool operator==(const ReadState&) const = default;
};

struct Ready {
  SoftState soft_state;
  // Set when term, vote or commit changed: persist it. Kept across refills
  // (kept_optional.h) rather than built and destroyed each time it changes.
  KeptOptional<HardState> hard_state;
  // A snapshot to persist and install in the state machine (before entries).
  std::optional<Snapshot> snapshot;
  // Entries to append, first dropping any stored suffix from
  // entries.front().index().
  std::vector<Entry> entries;
  // Whether the writes above must be synced (fsync) before acknowledging:
  // true when term, vote, entries or a snapshot changed.
  bool must_sync = false;
  // Messages that may be sent at once, in parallel with persistence (leader
  // replication, thesis 10.2.1).
  std::vector<Message> messages;
  // Messages that may be sent only after everything above is durable.
  std::vector<Message> messages_after_persist;
  // Committed (and locally durable) entries to apply, in order.
  std::vector<Entry> committed_entries;
  // ReadIndex requests that became safe.
  std::vector<ReadState> read_states;
};

}  // namespace kv::raft
