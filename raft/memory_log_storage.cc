#include "raft/memory_log_storage.h"

#include <algorithm>

#include <fmt/format.h>

#include "raft/raft_check.h"

namespace kv::raft {

MemoryLogStorage::MemoryLogStorage(ConfState conf_state) {
  *snapshot_.mutable_metadata()->mutable_conf_state() = std::move(conf_state);
  entries_.emplace_back();
}

InitialState MemoryLogStorage::GetInitialState() const {
  return InitialState{hard_state_, snapshot_.metadata().conf_state()};
}

absl::StatusOr<std::vector<Entry>> MemoryLogStorage::Entries(
    uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  const uint64_t offset = entries_[0].index();
  if (lo <= offset) {
    return absl::OutOfRangeError(
        fmt::format("entries: lo {} compacted (snapshot index {})", lo, offset));
  }
  RAFT_CHECK_LT(lo, hi);
  RAFT_CHECK_LE(hi, LastIndex() + 1);
  std::vector<Entry> result;
  uint64_t size = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const Entry& entry = entries_[i - offset];
    size += entry.data().size();
    if (!result.empty() && max_bytes != 0 && size > max_bytes) break;
    result.push_back(entry);
  }
  return result;
}

absl::StatusOr<uint64_t> MemoryLogStorage::Term(uint64_t index) const {
  const uint64_t offset = entries_[0].index();
  if (index < offset) {
    return absl::OutOfRangeError(
        fmt::format("term: index {} compacted (snapshot index {})", index,
                    offset));
  }
  if (index > LastIndex()) {
    return absl::OutOfRangeError(
        fmt::format("term: index {} beyond last index {}", index, LastIndex()));
  }
  return entries_[index - offset].term();
}

uint64_t MemoryLogStorage::FirstIndex() const { return entries_[0].index() + 1; }

uint64_t MemoryLogStorage::LastIndex() const {
  return entries_[0].index() + entries_.size() - 1;
}

SnapshotMetadata MemoryLogStorage::GetSnapshotMetadata() const {
  if (snapshot_unavailable_) return SnapshotMetadata();
  return snapshot_.metadata();
}

absl::StatusOr<std::string> MemoryLogStorage::SnapshotChunk(
    uint64_t snapshot_index, uint64_t offset, uint64_t max_bytes) const {
  if (snapshot_unavailable_) return absl::UnavailableError("no snapshot can be had now");
  if (snapshot_index != snapshot_.metadata().index()) {
    return absl::FailedPreconditionError(
        fmt::format("snapshot {} replaced by {}", snapshot_index,
                    snapshot_.metadata().index()));
  }
  const std::string& data = snapshot_.data();
  if (offset > data.size()) {
    return absl::OutOfRangeError(
        fmt::format("snapshot offset {} beyond size {}", offset, data.size()));
  }
  return data.substr(offset, max_bytes);
}

void MemoryLogStorage::Append(std::vector<Entry> entries) {
  if (entries.empty()) return;
  const uint64_t offset = entries_[0].index();
  size_t skip = 0;
  while (skip < entries.size() && entries[skip].index() <= offset) ++skip;
  if (skip == entries.size()) return;
  const uint64_t first = entries[skip].index();
  RAFT_CHECK_LE(first, LastIndex() + 1);
  entries_.resize(first - offset);
  for (size_t i = skip; i < entries.size(); ++i) {
    RAFT_DCHECK_EQ(entries[i].index(), offset + entries_.size());
    entries_.push_back(std::move(entries[i]));
  }
}

absl::Status MemoryLogStorage::ApplySnapshot(const Snapshot& snapshot) {
  if (snapshot.metadata().index() < snapshot_.metadata().index()) {
    return absl::FailedPreconditionError(
        fmt::format("apply snapshot: index {} older than current {}",
                    snapshot.metadata().index(), snapshot_.metadata().index()));
  }
  snapshot_ = snapshot;
  entries_.clear();
  Entry dummy;
  dummy.set_index(snapshot.metadata().index());
  dummy.set_term(snapshot.metadata().term());
  entries_.push_back(dummy);
  return absl::OkStatus();
}

absl::Status MemoryLogStorage::CreateSnapshot(uint64_t index,
                                              const ConfState& conf_state,
                                              std::string data) {
  if (index <= snapshot_.metadata().index() || index > LastIndex()) {
    return absl::FailedPreconditionError(fmt::format(
        "create snapshot: index {} outside ({}, {}]", index,
        snapshot_.metadata().index(), LastIndex()));
  }
  SnapshotMetadata* metadata = snapshot_.mutable_metadata();
  metadata->set_index(index);
  metadata->set_term(entries_[index - entries_[0].index()].term());
  *metadata->mutable_conf_state() = conf_state;
  metadata->set_size_bytes(data.size());
  snapshot_.set_data(std::move(data));
  return absl::OkStatus();
}

absl::Status MemoryLogStorage::Compact(uint64_t index) {
  const uint64_t offset = entries_[0].index();
  if (index <= offset) return absl::OkStatus();
  if (index > snapshot_.metadata().index()) {
    return absl::FailedPreconditionError(fmt::format(
        "compact: index {} beyond snapshot index {}", index,
        snapshot_.metadata().index()));
  }
  std::vector<Entry> kept;
  kept.reserve(entries_.size() - (index - offset));
  Entry dummy;
  dummy.set_index(index);
  dummy.set_term(entries_[index - offset].term());
  kept.push_back(dummy);
  for (size_t i = index - offset + 1; i < entries_.size(); ++i) {
    kept.push_back(std::move(entries_[i]));
  }
  entries_ = std::move(kept);
  return absl::OkStatus();
}

}  // namespace kv::raft
