#pragma once
// SimStateMachineStorage: the shards' key-value state on a SimDisk
// (simulator). Layer: storage/. Deterministic: no threads, no wall clock.
//
// Each shard is one journal file, "sm/<shard id>" (sim_journal.h): an Apply
// is one record holding its mutations and the new applied index, so it is
// atomic; an installed snapshot, or a rewrite of a mostly-dead journal, is
// one image record written with SimDisk::Replace. In memory we keep only the
// applied index and, per key, where its value cell lies in the file; Get and
// snapshot reads go to the disk and verify checksums.
//
// Completions run from the SimDisk's sync timer, never inline.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/sim_disk.h"
#include "storage/sim_journal.h"
#include "storage/sim_log_records.h"
#include "storage/state_machine_storage.h"
#include "storage/value_index.h"
#include "storage/write_gate.h"

namespace kv::storage {

struct SimStateMachineOptions {
  // Teeth (issue 6): journal each applied batch as two records, first the
  // new applied index and then the batch's mutations, instead of one atomic
  // record. A power loss between the two leaves a shard that believes it
  // applied entries whose data it does not have. Off except in teeth runs.
  bool bug_index_before_data = false;
};

class SimStateMachineStorage final : public StateMachineStorage {
 public:
  // Opens every shard on `disk`, recovering each from its journal and
  // cutting off torn tails. `disk` must outlive the storage.
  // Errors: kDataLoss if a journal is corrupt before its tail.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SimStateMachineStorage>> Open(
      SimDisk& disk, SimStateMachineOptions options = {});

  void Apply(ShardId shard, uint64_t applied_index, absl::Span<const Mutation> mutations,
             env::OnDone on_done) override;
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(ShardId shard,
                                                               absl::string_view key) override;
  [[nodiscard]] absl::StatusOr<bool> GetInto(ShardId shard, absl::string_view key,
                                             std::string& value) override;
  uint64_t AppliedIndex(ShardId shard) const override;
  std::vector<ShardId> Shards() const override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<ShardSnapshotReader>> ReadSnapshot(
      ShardId shard) override;
  void InstallSnapshot(ShardId shard, ShardImage image, env::OnDone on_done) override;

  // Journals whose torn tail Open cut off.
  int64_t recovered_torn_tails() const { return recovered_torn_tails_; }
  // Journal rewrites so far.
  int64_t rewrite_count() const { return rewrite_count_; }

 private:
  struct Shard {
    // The shard's journal, resolved once when the shard is created: a
    // node's reads and applies alternate between its shards, so a cache of
    // the last one looked up missed on most reads.
    SimDisk::FileRef file;
    uint64_t applied_index = 0;
    // File spans of the Put cells holding each key's current value. A hash
    // map: every applied command looks keys up here twice (its read and its
    // writes), and a std::map's string comparisons down the tree cost ~2%
    // of a simulation. Never iterated for what it does: ReadAll sorts the
    // keys, so nothing depends on the hash order.
    ValueIndex values;
    // Sum of the spans' lengths.
    uint64_t live_bytes = 0;
  };

  SimStateMachineStorage(SimDisk& disk, SimStateMachineOptions options)
      : disk_(disk),
        options_(options),
        gate_(&disk.NewWriteGate()),
        alterations_at_open_(disk.alterations()) {}

  [[nodiscard]] absl::Status Recover(ShardId shard_id, const std::string& file);
  [[nodiscard]] absl::Status Replay(Shard& shard, const JournalRecord& record);
  // Reads every value of `shard` (journaled in `file`), verified, in key order.
  [[nodiscard]] absl::StatusOr<std::vector<KeyValue>> ReadAll(SimDisk::FileRef file,
                                                              const Shard& shard);
  // Rewrites `shard`'s journal `file` as one image record once it is mostly
  // dead. The test runs per Apply and is inline; the rewrite, out of line
  // (as one function, its frame set-up cost more than the test).
  void MaybeRewrite(SimDisk::FileRef file, Shard& shard) {
    if (disk_.FileSize(file) > RewriteThresholdBytes(shard)) Rewrite(file, shard);
  }
  void Rewrite(SimDisk::FileRef file, Shard& shard);
  // As for the log: rewrite a journal only once it is mostly dead.
  static constexpr uint64_t kRewriteSlackBytes = 64 * 1024;
  // The size of `shard`'s journal past which MaybeRewrite rewrites it.
  static uint64_t RewriteThresholdBytes(const Shard& shard) {
    return 2 * shard.live_bytes + kRewriteSlackBytes;
  }
  // `lazy`: a successful write's sync may wait for the next eager one
  // (SimDisk::Sync).
  // `on_done` by rvalue reference, as in SimLogStorage::Complete.
  void Complete(absl::Status status, env::OnDone&& on_done, bool lazy = false);
  // Complete(OkStatus(), on_done, /*lazy=*/true), inline: every successful
  // apply completes here, and with the disk's request inline
  // (SimDisk::SyncThenComplete) GCC no longer inlined Complete.
  [[gnu::always_inline]] void CompleteLazyOk(env::OnDone&& on_done) {
    disk_.SyncThenComplete(std::move(on_done), absl::OkStatus(), *gate_, /*lazy=*/true);
  }

  // Appends a batch record (FrameBatch's layout) to `shard`'s journal
  // `file` and indexes its mutations in `shard`, as replaying it would.
  // Errors: the disk's; the gate closes.
  [[nodiscard]] absl::Status AppendBatch(SimDisk::FileRef file, Shard& shard, RecordType type,
                                         uint64_t applied_index,
                                         absl::Span<const Mutation> mutations);

  // The span of `key`'s value cell in `shard_id`'s journal, with the
  // journal, or nullptr if there is none.
  const Span* FindValue(ShardId shard_id, absl::string_view key, SimDisk::FileRef& file) const;
  // The usual read of `key`'s value cell at `span` of `file`, without a
  // Status: when no read fault can fire and the cell is intact and `key`'s,
  // sets `value` to a view of its value in the page cache (valid until the
  // next write to `file`) and returns true. Otherwise returns false, having
  // drawn nothing, and the caller reads the cell through ReadCell, which
  // draws the read faults, reads again after a bad checksum and reports the
  // error: the read there would have been in the first place.
  bool ViewValueWithoutFaults(SimDisk::FileRef file, const Span& span, absl::string_view key,
                              absl::string_view& value) const;
  // GetInto's read when ViewValueWithoutFaults declines: through ReadCell,
  // into `value`. Out of line (noinline), so that GetInto, which every
  // applied command calls, stays small enough for GCC to inline what its
  // usual case calls.
  [[nodiscard, gnu::noinline]] absl::StatusOr<bool> ReadValueInto(SimDisk::FileRef file,
                                                                  const Span& span,
                                                                  absl::string_view key,
                                                                  std::string& value);

  // The shard `shard_id`, created (with its journal resolved) if new.
  Shard& ShardFor(ShardId shard_id);
  // The shard `shard_id`, or nullptr if there is none yet.
  Shard* FindShard(ShardId shard_id) const;
  // Adds `shard`, just put in shards_ under `shard_id`, to shard_index_.
  void IndexShard(ShardId shard_id, Shard& shard);

  SimDisk& disk_;
  const SimStateMachineOptions options_;
  // Ordered, for Shards(); a shard stays where it is as others are added.
  std::map<ShardId, Shard> shards_;
  // (id, shard) for each of shards_, in the order they were added: what
  // lookups by id scan. Every apply and every applied command's read looks
  // its shard up, and a node holds a handful of shards (8 shards on 5
  // servers, 3 replicas each, in the standard scenario): a scan of a few
  // contiguous pairs costs less there than the walk down the map's tree,
  // and than a binary search of the pairs (both measured). Past 16 shards
  // FindShard uses the map.
  std::vector<std::pair<ShardId, Shard*>> shard_index_;
  // One of disk_'s (SimDisk::NewWriteGate), as in SimLogStorage.
  WriteGate* const gate_;
  // disk_.alterations() when the storage opened. Every value cell the
  // shards refer to was checksummed then (recovery decodes each one), or
  // written since with its checksum; while the disk's count stays this,
  // GetInto skips verifying it again (SimDisk::alterations).
  const uint64_t alterations_at_open_;
  int64_t recovered_torn_tails_ = 0;
  int64_t rewrite_count_ = 0;
};

// The journal file of `shard`: "sm/" and the id in 20 decimal digits.
std::string SimShardFileName(ShardId shard);

}  // namespace kv::storage
