#include "node/kv/raft_log_view.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/status_macros.h"
#include "node/kv/log_payload_reader.h"
#include "node/kv/log_payload_writer.h"
#include "raft/unknown_fields.h"

namespace kv::node {
namespace {

// The Raft core treats a failed storage read as fatal (as etcd's does). A
// checksum failure on a read can be transient (a flipped bit on the bus, or
// the simulator's read-corruption fault), so reads that fail with kDataLoss
// are retried a few times before the error is passed on.
constexpr int kReadAttempts = 8;

}  // namespace

RaftLogView::RaftLogView(storage::LogStorage& log, raft::ConfState bootstrap, SnapshotSource& source)
    : log_(log), bootstrap_(std::move(bootstrap)), source_(source) {}

raft::InitialState RaftLogView::GetInitialState() const {
  raft::InitialState state;
  const storage::HardState hs = log_.hard_state();
  state.hard_state.set_term(hs.term);
  state.hard_state.set_vote(hs.vote);
  state.hard_state.set_commit(hs.commit);
  state.conf_state = StoredConfState();
  return state;
}

absl::StatusOr<std::vector<raft::Entry>> RaftLogView::Entries(uint64_t lo, uint64_t hi,
                                                              uint64_t max_bytes) const {
  std::vector<raft::Entry> entries;
  KV_RETURN_IF_ERROR(EntriesInto(lo, hi, max_bytes, entries));
  return entries;
}

absl::Status RaftLogView::EntriesInto(uint64_t lo, uint64_t hi, uint64_t max_bytes,
                                      std::vector<raft::Entry>& out) const {
  // Entries are parsed straight from the storage's buffer. A payload that
  // does not parse is reported after the whole read, so the storage makes
  // the same reads whatever the payloads hold. out's first `used` entries
  // are this read's; the ones after are earlier reads', decoded over
  // instead of reallocated (ReadEntry sets every field and keeps the data
  // string's buffer; only unknown fields, which protobuf's parser may have
  // kept there, need a Clear()).
  size_t used = 0;
  absl::Status parsed;
  auto parse = [&](uint64_t index, uint64_t term, absl::string_view payload) {
    if (!parsed.ok()) return;
    raft::Entry* reused = used < out.size() ? &out[used] : nullptr;
    if (reused != nullptr && raft::HasUnknownFields(*reused)) reused->Clear();
    raft::Entry& entry = reused != nullptr ? *reused : out.emplace_back();
    ++used;
    const bool decoded =
        ReadEntry(payload, entry) ||
        entry.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
    if (!decoded || entry.index() != index || entry.term() != term) {
      parsed = absl::DataLossError(
          absl::StrCat("stored log entry ", index, " does not decode to itself"));
    }
  };
  absl::Status read = log_.VisitEntries(lo, hi, max_bytes, parse);
  // ok() first: it is inline, and code() is a library call made per read.
  for (int attempt = 1;
       attempt < kReadAttempts && !read.ok() && read.code() == absl::StatusCode::kDataLoss;
       ++attempt) {
    used = 0;
    parsed = absl::OkStatus();
    read = log_.VisitEntries(lo, hi, max_bytes, parse);
  }
  out.resize(used);
  KV_RETURN_IF_ERROR(read);
  return parsed;
}

absl::StatusOr<uint64_t> RaftLogView::Term(uint64_t index) const { return log_.Term(index); }

raft::ConfState RaftLogView::StoredConfState() const {
  const storage::SnapshotMetadata stored = log_.snapshot_metadata();
  raft::ConfState conf;
  if (stored.index == 0 || !conf.ParseFromString(stored.config)) return bootstrap_;
  return conf;
}

raft::SnapshotMetadata RaftLogView::GetSnapshotMetadata() const {
  if (!CacheSnapshot().ok()) return raft::SnapshotMetadata();
  return cached_snapshot_;
}

void RaftLogView::ReleaseSnapshot() const {
  cached_snapshot_.Clear();
  cached_snapshot_data_ = std::string();
  cached_memory_.Reset();
}

absl::Status RaftLogView::CacheSnapshot() const {
  const uint64_t base = log_.snapshot_metadata().index;
  // A snapshot at or above the compaction point still serves: the log
  // holds every entry after it. Keeping it lets a transfer in chunks go on
  // while the state machine moves past it.
  if (cached_snapshot_.index() != 0 && cached_snapshot_.index() >= base) return absl::OkStatus();
  // The old one's memory goes back first: the budget need not hold both.
  ReleaseSnapshot();
  raft::Snapshot made;
  env::Reservation memory;
  KV_RETURN_IF_ERROR(source_.MakeSnapshot(made, memory));
  if (made.metadata().index() < base) {
    return absl::UnavailableError(absl::StrCat("snapshot made at ", made.metadata().index(),
                                               " is below the log's compaction point ", base));
  }
  cached_snapshot_ = made.metadata();
  cached_snapshot_data_ = std::move(*made.mutable_data());
  cached_memory_ = std::move(memory);
  cached_snapshot_.set_size_bytes(cached_snapshot_data_.size());
  return absl::OkStatus();
}

absl::StatusOr<std::string> RaftLogView::SnapshotChunk(uint64_t snapshot_index, uint64_t offset,
                                                       uint64_t max_bytes) const {
  KV_RETURN_IF_ERROR(CacheSnapshot());
  if (snapshot_index != cached_snapshot_.index()) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot ", snapshot_index,
                                                      " was replaced by ", cached_snapshot_.index()));
  }
  if (offset > cached_snapshot_data_.size()) {
    return absl::OutOfRangeError(absl::StrCat("snapshot offset ", offset, " beyond its ",
                                              cached_snapshot_data_.size(), " bytes"));
  }
  const uint64_t n = max_bytes == 0 ? cached_snapshot_data_.size() - offset
                                    : std::min<uint64_t>(max_bytes, cached_snapshot_data_.size() - offset);
  return cached_snapshot_data_.substr(offset, n);
}

storage::LogSnapshot RaftLogView::ToStorage(const raft::Snapshot& snapshot) {
  storage::LogSnapshot out;
  out.metadata.index = snapshot.metadata().index();
  out.metadata.term = snapshot.metadata().term();
  out.metadata.config = snapshot.metadata().conf_state().SerializeAsString();
  out.data = snapshot.data();
  return out;
}

}  // namespace kv::node
