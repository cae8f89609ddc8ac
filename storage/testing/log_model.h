#pragma once
// LogModel: the simplest possible Raft log, as a reference for the stateful
// property tests: a map of entries, a base, a hard state and a snapshot,
// with the LogStorage rules written out plainly (no shared code with
// LogState, so a bug there cannot hide itself). Layer: storage/ tests only.

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>

#include "absl/status/statusor.h"
#include "storage/log_storage.h"

namespace kv::storage::testing {

struct LogModel {
  uint64_t base_index = 0;
  uint64_t base_term = 0;
  std::map<uint64_t, LogEntry> entries;
  HardState hard_state;
  std::optional<LogSnapshot> snapshot;

  uint64_t LastIndex() const { return entries.empty() ? base_index : entries.rbegin()->first; }
  uint64_t TermAt(uint64_t index) const {
    return index == base_index ? base_term : entries.at(index).term;
  }
  uint64_t SnapshotIndex() const { return snapshot ? snapshot->metadata.index : 0; }

  void Write(const LogWrite& write) {
    if (write.hard_state) hard_state = *write.hard_state;
    bool truncated = false;
    for (const LogEntry& entry : write.entries) {
      if (entry.index <= base_index) continue;
      if (!truncated) {
        entries.erase(entries.lower_bound(entry.index), entries.end());
        truncated = true;
      }
      entries[entry.index] = entry;
    }
  }
  void SaveSnapshot(const LogSnapshot& next) {
    const uint64_t index = next.metadata.index;
    const bool keeps = index > base_index && index <= LastIndex() &&
                       TermAt(index) == next.metadata.term;
    if (!keeps) {
      entries.clear();
      base_index = index;
      base_term = next.metadata.term;
    }
    snapshot = next;
  }
  void Compact(uint64_t index) {
    if (index <= base_index) return;
    base_term = TermAt(index);
    entries.erase(entries.begin(), entries.upper_bound(index));
    base_index = index;
  }

  friend bool operator==(const LogModel&, const LogModel&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const LogModel& model) {
  os << "{base " << model.base_index << "@" << model.base_term << ", last "
     << model.LastIndex() << ", hard state " << model.hard_state.term << "/"
     << model.hard_state.vote << "/" << model.hard_state.commit << ", snapshot "
     << model.SnapshotIndex() << ", terms";
  for (const auto& [index, entry] : model.entries) os << " " << entry.term;
  return os << "}";
}

// Reads everything a LogStorage holds into a model. Errors: those of reads.
[[nodiscard]] inline absl::StatusOr<LogModel> ReadModel(LogStorage& storage) {
  LogModel model;
  model.base_index = storage.FirstIndex() - 1;
  auto base_term = storage.Term(model.base_index);
  if (!base_term.ok()) return base_term.status();
  model.base_term = *base_term;
  auto entries = storage.Entries(storage.FirstIndex(), storage.LastIndex() + 1, 0);
  if (!entries.ok()) return entries.status();
  for (LogEntry& entry : *entries) model.entries[entry.index] = std::move(entry);
  model.hard_state = storage.hard_state();
  if (storage.snapshot_metadata().index > 0) {
    auto snapshot = storage.LoadSnapshot();
    if (!snapshot.ok()) return snapshot.status();
    model.snapshot = *std::move(snapshot);
  }
  return model;
}

}  // namespace kv::storage::testing
