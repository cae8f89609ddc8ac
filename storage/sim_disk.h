#pragma once
// SimDisk: a node's disk in the simulator. Layer: storage/ (uses node/env
// only: time from env::Clock, randomness from an env::Random stream).
//
// Modelled on RocksDB's FaultInjectionTestFS (MODELS.md section 5): it keeps
// what has been written but not synced apart from what is durable, so that a
// crash can drop it. The model is a POSIX file system reduced to what the
// storage engines need:
//
// - Files are byte strings named by path. Append and Replace (an atomic
//   write-new-then-rename) change the page cache at once, and are synchronous
//   like write(2): they fail at once with an injected EIO or ENOSPC.
// - Sync (fsync of the whole disk, like syncfs) is asynchronous: it completes
//   through a clock timer after a latency drawn from the seed, and makes every
//   operation issued before it started durable. One sync at a time: syncs
//   requested while one is in flight wait and share the next one (group
//   commit), so N concurrent requests cost two syncs, not N.
// - Crash (power loss): per file, the pending (unsynced) operations survive
//   as a prefix of random length, and the first lost one, if an append, may
//   be torn: a random prefix of its bytes reaches the disk. Pending sync
//   callbacks are dropped, since the node that would run them is gone.
// - Read returns the page cache (what was written, synced or not). With the
//   read-corruption fault it flips one bit of the returned copy, not the
//   stored bytes: a transient fault that checksums must catch.
//
// Deterministic: no threads, no wall clock, ordered containers only; every
// random draw happens in operation order from the one stream it was given.

#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/env/check.h"
#include "node/env/clock.h"
#include "node/env/executor.h"
#include "node/env/random.h"
#include "node/env/types.h"
#include "storage/write_gate.h"

namespace kv::storage {

struct SimDiskOptions {
  // Sync latency is latency_min + Exponential(latency_mean_extra).
  env::DurationNs sync_latency_min_ns = 50 * env::kMicrosecond;
  env::DurationNs sync_latency_mean_extra_ns = 150 * env::kMicrosecond;
  // Added to a sync hit by a latency spike.
  env::DurationNs latency_spike_ns = 100 * env::kMillisecond;
  // How long lazy sync requests alone wait for an eager one to share its
  // sync (RocksSyncer::kLazySyncDelay on real nodes).
  env::DurationNs lazy_sync_delay_ns = 5 * env::kMillisecond;
  // Appends and replaces that would grow the page cache past this fail with
  // ENOSPC (kResourceExhausted).
  int64_t capacity_bytes = int64_t{1} << 30;
};

// Fault rates, in parts per million of the operations they can hit. All zero
// (the default) is a perfect disk; SetFaults switches them per node.
struct SimDiskFaults {
  uint32_t write_error_ppm = 0;      // Append/Replace fails with EIO.
  uint32_t disk_full_ppm = 0;        // Append/Replace fails with ENOSPC.
  uint32_t sync_failure_ppm = 0;     // A sync fails with EIO; nothing it covered is durable.
  uint32_t read_corruption_ppm = 0;  // A Read returns one flipped bit.
  uint32_t latency_spike_ppm = 0;    // A sync takes latency_spike_ns longer.
  // At a crash, the chance that the first lost append is torn rather than
  // lost whole. Torn writes are part of the crash model, on by default.
  uint32_t torn_write_ppm = 500'000;

  // A swarm-testing mix drawn from `random`: each fault is on or off by a
  // coin flip and, when on, gets a rate from a small fixed ladder.
  static SimDiskFaults Draw(env::Random& random);
};

// How often each fault actually fired (not how often it could have).
struct SimDiskCounters {
  int64_t write_errors = 0;
  int64_t disk_full_errors = 0;
  int64_t sync_failures = 0;
  int64_t read_corruptions = 0;
  int64_t latency_spikes = 0;
  int64_t torn_writes = 0;
  // Pending operations dropped whole by crashes.
  int64_t lost_operations = 0;
  int64_t crashes = 0;
  // Syncs performed (each may cover many requests).
  int64_t syncs = 0;
  // Sync requests made; requests / syncs is the group-commit factor.
  int64_t sync_requests = 0;
};

// The bytes of a file in SimDisk's page cache: [data(), data() + size()).
// A string holds them and, past size(), room already grown (zeroes, or
// bytes cut off since) that the next appends write into. Growing a
// std::string zero-fills every byte it adds, and the journals' appends,
// which then write every one of those bytes, paid a call to memset (and
// the length checks around it) per record: 2.5M instructions per standard
// run. Grow fills the room ahead in steps of 1 KiB instead (GrowRoom),
// within the capacity the string already holds (a journal reserves up to
// its next rewrite).
// Deterministic: what lies in the room is never part of the content.
class SimPageCache {
 public:
  uint64_t size() const { return size_; }
  char* data() { return bytes_.data(); }
  const char* data() const { return bytes_.data(); }
  absl::string_view view() const { return absl::string_view(bytes_.data(), size_); }

  // Grows the content by `length` bytes and returns where they start. Their
  // values are unspecified (zeroes, or bytes cut off earlier): the caller
  // writes every one. Valid until the next call that changes the content.
  char* Grow(size_t length) {
    const size_t old_size = size_;
    size_ += length;
    if (size_ > bytes_.size()) [[unlikely]] GrowRoom();
    return bytes_.data() + old_size;
  }
  // Appends `bytes`, which may be a view of this page cache's own content
  // (as a ReadView gives), as std::string::append allows.
  void Append(absl::string_view bytes) {
    if (bytes.empty()) return;
    const uintptr_t from = reinterpret_cast<uintptr_t>(bytes.data());
    const uintptr_t begin = reinterpret_cast<uintptr_t>(bytes_.data());
    if (from >= begin && from - begin < size_) {
      // Growing may move the content: copy from where it lands.
      const size_t offset = from - begin;
      char* const at = Grow(bytes.size());
      std::memcpy(at, bytes_.data() + offset, bytes.size());
      return;
    }
    std::memcpy(Grow(bytes.size()), bytes.data(), bytes.size());
  }
  // Cuts the content to its first `size` bytes. Precondition: size <= size().
  void Truncate(uint64_t size) {
    KV_CHECK_LE(size, size_);
    size_ = size;
  }
  // Holds room for `bytes` of content without moving what is there.
  void Reserve(uint64_t bytes) { bytes_.reserve(bytes); }
  // Replaces the content with `bytes`, taking their buffer.
  void Assign(std::string bytes) {
    bytes_ = std::move(bytes);
    size_ = bytes_.size();
  }
  // The content, its buffer taken; leaves the page cache empty.
  std::string Take() {
    bytes_.resize(size_);
    size_ = 0;
    return std::exchange(bytes_, std::string());
  }

 private:
  // Grow's rare part: makes bytes_ at least size_ long, filling ahead.
  void GrowRoom();

  std::string bytes_;  // The content, then the room.
  uint64_t size_ = 0;
};

// For the record encoders (sim_journal.h BeginRecord, as coding.h's GrowBy
// does for a std::string): grows `out` by `length` bytes, which the caller
// writes, and returns where they start.
inline char* GrowBy(SimPageCache& out, size_t length) { return out.Grow(length); }

class SimDisk {
  struct File;

 public:
  // `clock` must outlive the disk; the disk survives node crashes (it is the
  // node's durable medium), so the simulator owns it beside the node.
  SimDisk(env::Clock& clock, env::Random random, SimDiskOptions options = {});
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;
  ~SimDisk();

  void SetFaults(const SimDiskFaults& faults) { faults_ = faults; }
  const SimDiskFaults& faults() const { return faults_; }
  const SimDiskCounters& counters() const { return counters_; }

  // A file resolved once by name. The name-based calls below look the name
  // up in an ordered map on every call, which showed in the simulator's
  // profile; the storages resolve their files once and keep the FileRef.
  // Valid for the disk's lifetime (files are never removed, and map nodes do
  // not move). The file need not exist yet: it exists from its first
  // successful Append or Replace, exactly as with the name-based calls.
  class FileRef {
   public:
    FileRef() = default;
    bool valid() const { return file_ != nullptr; }

   private:
    friend class SimDisk;
    explicit FileRef(File* file) : file_(file) {}
    File* file_ = nullptr;
  };
  FileRef Resolve(absl::string_view file);

  // Appends `bytes` to `file`, creating it. Not durable until a later Sync
  // completes. Errors: kUnavailable (injected EIO), kResourceExhausted (disk
  // full); on error nothing was written.
  [[nodiscard]] absl::Status Append(FileRef file, absl::string_view bytes);
  [[nodiscard]] absl::Status Append(absl::string_view file, absl::string_view bytes) {
    return Append(Resolve(file), bytes);
  }

  // Appends the bytes `encode` appends to the SimPageCache it is handed,
  // which is the page cache of `file` itself: a caller that builds a record
  // (a journal record with its checksums) builds it where it will live,
  // with no copy from a buffer of its own. `encode` may only append (Grow,
  // writing every byte it grows, or Append), and must not call the disk.
  // The result, the faults drawn (after encoding, from the encoded size)
  // and the errors are those of Append(file, bytes) with the same bytes;
  // on error the appended bytes are cut off again, so nothing was written.
  // A template, so that `encode` is called directly: every
  // journal record is appended through here, and the call through a
  // FunctionRef (and the frame around it) showed in the simulator's profile.
  template <typename Encode>
  [[nodiscard]] absl::Status AppendEncoded(FileRef file, Encode&& encode) {
    KV_CHECK(file.valid());
    SimPageCache& current = file.file_->current;
    const uint64_t offset = current.size();
    encode(current);
    return FinishAppendEncoded(*file.file_, offset);
  }

  // Atomically replaces the content of `file` (creating it), like writing a
  // new file and renaming it over the old one: a crash leaves the old or the
  // new content, never a mix. Durable after a later Sync. Errors: as Append.
  [[nodiscard]] absl::Status Replace(FileRef file, std::string contents);
  [[nodiscard]] absl::Status Replace(absl::string_view file, std::string contents) {
    return Replace(Resolve(file), std::move(contents));
  }

  // Starts a sync, or joins the next one if one is in flight. `on_done` runs
  // from a clock timer when the sync completes: OK means every operation
  // issued before the call is durable. Errors: kUnavailable (injected fsync
  // failure). Callbacks are dropped, not run, if the disk crashes first.
  // A `lazy` request does not start a sync by itself for up to
  // lazy_sync_delay_ns: it waits to share the sync of the next eager request
  // (as real nodes' state-machine applies do, RocksSyncer). Completions keep
  // request order either way.
  void Sync(env::OnDone on_done, bool lazy = false);

  // A write gate for a storage on this disk, owned by the disk and valid
  // for its lifetime: the completions that consult it (SyncThenComplete)
  // are the disk's and may outlive the storage, which a shared pointer per
  // request kept alive at the cost of a reference count taken and dropped
  // on every operation. A disk makes one per storage opened on it.
  WriteGate& NewWriteGate() { return gates_.emplace_back(); }

  // The completion of a storage operation (SimLogStorage's and
  // SimStateMachineStorage's): a Sync whose outcome first goes through the
  // storage's write gate, one of this disk's (NewWriteGate). When the sync
  // completes, a failure closes `gate`, and `on_done` gets `status` if that
  // is an error, else the sync's error, else gate.Check() (nothing is
  // acknowledged once the gate has closed). The same as Sync with a closure
  // doing that, which costs a heap allocation per operation (it does not
  // fit an AnyInvocable inline); the disk keeps the three parts in its
  // request queue instead.
  void SyncThenComplete(env::OnDone&& on_done, absl::Status status, WriteGate& gate,
                        bool lazy = false);

  // Preallocates the page cache of `file` for `bytes` in all, as fallocate
  // with FALLOC_FL_KEEP_SIZE would: appends up to that size then never move
  // the bytes already there. A journal grown by doubling instead copied
  // itself again at each doubling, until its next rewrite (about 1.4% of a
  // simulation). Changes no size, content or durability and draws nothing,
  // so no run depends on it; a `bytes` below what is held does nothing.
  // Invalidates views into `file`, as a write does.
  void Reserve(FileRef file, uint64_t bytes);

  // Reads [offset, offset + length) of `file` from the page cache. Errors:
  // kNotFound, kOutOfRange. May return corrupted bytes (read-corruption fault).
  [[nodiscard]] absl::StatusOr<std::string> Read(absl::string_view file, uint64_t offset,
                                                 uint64_t length);
  // The same without a copy: the view points into the page cache, or into
  // `scratch` when the read-corruption fault fires (the flipped bit is in
  // the returned bytes only, as with Read). The view is valid until the next
  // write to `file` or use of `scratch`. Same errors and random draws as Read.
  [[nodiscard]] absl::StatusOr<absl::string_view> ReadView(FileRef file, uint64_t offset,
                                                           uint64_t length, std::string& scratch) {
    // The usual case inline, where no fault can fire (so none is drawn):
    // every entry and value read goes through here, and the call showed in
    // the simulator's profile.
    absl::string_view bytes;
    if (ViewWithoutFaults(file, offset, length, bytes)) [[likely]] return bytes;
    return ReadViewSlow(file, offset, length, scratch);
  }
  // ReadView's usual case alone: when no fault can fire, so that ReadView
  // would draw nothing and return exactly these bytes of the page cache
  // (the read-corruption fault is off, and the range lies in an existing
  // file), sets `bytes` to them and returns true; otherwise returns false
  // and draws nothing. For readers whose usual case has no Status to pass
  // back: they read through ReadView when this returns false, or when the
  // bytes fail their checks, and that read is what a ReadView in the first
  // place would have been. The view is valid until the next write to `file`.
  [[nodiscard]] bool ViewWithoutFaults(FileRef file, uint64_t offset, uint64_t length,
                                       absl::string_view& bytes) const {
    KV_CHECK(file.valid());
    const File& f = *file.file_;
    if (faults_.read_corruption_ppm == 0 && f.exists && offset <= f.current.size() &&
        length <= f.current.size() - offset) [[likely]] {
      bytes = absl::string_view(f.current.data() + offset, length);  // Checked above.
      return true;
    }
    return false;
  }

  // Size of `file` in the page cache; 0 if it does not exist.
  uint64_t FileSize(absl::string_view file) const;
  // Inline: the storages ask it on every write, for where the record lands.
  uint64_t FileSize(FileRef file) const {
    KV_CHECK(file.valid());
    return file.file_->current.size();
  }

  // Names of existing files starting with `prefix`, ascending.
  std::vector<std::string> ListFiles(absl::string_view prefix) const;

  // Power loss. See the file comment for what survives. The simulator must
  // call this (or ProcessCrash) whenever it crashes the node: the node's
  // clock drops its timers then, and the sync in flight with them.
  void Crash();

  // A process crash without power loss (kill -9): pending sync callbacks are
  // dropped with the process, but the page cache survives and unsynced data
  // stays pending, to be synced or lost later.
  void ProcessCrash();

  // Bit rot: flips one bit of the stored bytes of `file` at `offset`, in the
  // page cache and on the disk, as a latent sector error would. Unlike the
  // read-corruption fault it persists, so checksums must catch it on every
  // read. Precondition: offset < FileSize(file).
  void InjectBitRot(absl::string_view file, uint64_t offset);

  // Bytes in the page cache across all files.
  int64_t used_bytes() const { return used_bytes_; }

  // How many times bytes already written were changed, over the disk's
  // life: by bit rot (InjectBitRot) or by a power loss (Crash, which cuts
  // off or tears what was not synced). Nothing else changes a byte once an
  // Append or Replace has put it in the page cache, and a read that draws
  // no fault (ViewWithoutFaults) returns those bytes. So a storage that
  // checksummed, or wrote with their checksums, every cell it refers to
  // while the count was n knows, for as long as it is still n, that a
  // checksum of those cells would match: its reads may skip computing it
  // again, and fall back to verifying as soon as the count moves.
  uint64_t alterations() const { return alterations_; }

 private:
  // The bytes an operation wrote. While `owned` is false they are
  // current[offset, offset + length) of its file: the page cache still holds
  // exactly what the operation wrote, so Append copies its bytes once, into
  // the page cache. Replace and InjectBitRot, the only calls that change
  // bytes already in the page cache, first copy the affected operations'
  // bytes into their file's owned_bytes (owned). A replace always writes at
  // offset 0. Trivially destructible, the copies kept apart: every append
  // adds one and every sync drops them, and a string in each (built, then
  // destroyed unused) cost more than the rest of their bookkeeping.
  struct PendingOperation {
    uint64_t sequence = 0;
    bool is_replace = false;
    bool owned = false;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  static_assert(std::is_trivially_destructible_v<PendingOperation>);
  struct File {
    std::string name;
    // From the first successful Append or Replace; a resolved name that was
    // never written does not exist for any call.
    bool exists = false;
    // The page cache: the durable content plus every pending operation.
    SimPageCache current;
    // The durable content. While durable_is_prefix (the usual case: only
    // appends since the last synced replace), it is current[0, durable_size)
    // and costs no copy; otherwise it is `durable`.
    bool durable_is_prefix = true;
    uint64_t durable_size = 0;
    std::string durable;
    // Ascending sequence numbers.
    std::vector<PendingOperation> pending;
    // The bytes of the owned pending operations, by sequence number; an
    // entry goes with its operation.
    std::map<uint64_t, std::string> owned_bytes;
    // Whether the file is in dirty_files_.
    bool dirty = false;
  };

  // A sync request: `on_done` alone (Sync), or with a gate (one of gates_)
  // and an operation status (SyncThenComplete).
  struct SyncRequest {
    env::OnDone on_done;
    absl::Status status;
    WriteGate* gate = nullptr;
  };

  // Starts or schedules a sync for the request just added to
  // waiting_callbacks_. Inline, with SyncThenComplete: every storage
  // operation requests a sync, and the call (a frame of six saved
  // registers around a few tests) cost more than the tests.
  void SyncRequested(bool lazy);
  // Runs `request`'s callback with the outcome of its sync (through its
  // gate, if it has one; see SyncThenComplete).
  static void Complete(SyncRequest& request, const absl::Status& sync_status);
  File* Find(absl::string_view name) const;
  // ReadView's errors and fault draws.
  [[nodiscard]] absl::StatusOr<absl::string_view> ReadViewSlow(FileRef file, uint64_t offset,
                                                               uint64_t length,
                                                               std::string& scratch);
  static absl::string_view OperationBytes(const File& file, const PendingOperation& operation);
  static void OwnBytes(File& file, PendingOperation& operation);
  static void OwnDurable(File& file);
  // Makes `operation` (or its first `length` bytes, for a torn append)
  // durable.
  static void ApplyToDurable(File& file, PendingOperation& operation);
  static void AppendToDurable(File& file, const PendingOperation& operation, uint64_t length);
  void AddPending(File& file, bool is_replace, uint64_t offset, uint64_t length);
  // Records the append of current[offset, end) to `file` as pending.
  void AddPendingAppend(File& file, uint64_t offset);
  // AppendEncoded once `encode` has appended current[offset, end) of
  // `file`: the fault draws, and the pending append or the cut.
  [[nodiscard]] absl::Status FinishAppendEncoded(File& file, uint64_t offset);
  [[nodiscard]] absl::Status MaybeFailWrite(absl::string_view file, int64_t growth_bytes);
  // MaybeFailWrite's draws, when a fault is possible at all.
  [[nodiscard]] absl::Status DrawWriteFault(absl::string_view file, int64_t growth_bytes);
  void StartSync();
  void FinishSync();
  // Arms the lazy timer unless it is pending already.
  void ArmLazyTimer() {
    if (!lazy_timer_pending_) ArmLazyTimerNow();
  }
  // ArmLazyTimer's part that arms it. Precondition: !lazy_timer_pending_.
  void ArmLazyTimerNow();
  void CancelLazyTimer();
  void CrashFile(File& file);
  void DropSyncs();

  env::Clock& clock_;
  env::Random random_;
  SimDiskOptions options_;
  SimDiskFaults faults_;
  SimDiskCounters counters_;
  // The gates of the storages opened on this disk (NewWriteGate). A deque,
  // so that each stays where it is as more are made.
  std::deque<WriteGate> gates_;
  // Ordered by name: crash handling iterates it, so the order must be fixed.
  std::map<std::string, File, std::less<>> files_;
  // Files with pending operations, in the order they got their first one.
  // Only FinishSync walks it, and what it does to one file does not depend
  // on the others, so the order is not observable.
  std::vector<File*> dirty_files_;
  int64_t used_bytes_ = 0;
  uint64_t alterations_ = 0;  // See alterations().
  uint64_t next_sequence_ = 1;

  // The sync in flight, if any: it covers operations up to this sequence.
  bool sync_in_flight_ = false;
  uint64_t in_flight_covers_sequence_ = 0;
  env::TimerId sync_timer_;
  std::vector<SyncRequest> in_flight_callbacks_;
  // Requests that arrived while a sync was in flight, or lazy ones waiting
  // for an eager one: the next sync's.
  std::vector<SyncRequest> waiting_callbacks_;
  size_t eager_waiting_ = 0;  // Eager requests in waiting_callbacks_.
  // Starts a sync for lazy requests that waited lazy_sync_delay_ns alone.
  bool lazy_timer_pending_ = false;
  env::TimerId lazy_timer_;
  // The callbacks of the sync that just finished, while they run.
  std::vector<SyncRequest> finishing_callbacks_;
};

// The append path, inline here with what it calls: every journal record is
// appended through AppendEncoded, and the call that finished it (a frame
// around a few tests and stores) showed in the simulator's profile.

inline void SimDisk::SyncThenComplete(env::OnDone&& on_done, absl::Status status,
                                      WriteGate& gate, bool lazy) {
  // Built in place: every move of the callback is an indirect call.
  waiting_callbacks_.emplace_back(std::move(on_done), std::move(status), &gate);
  SyncRequested(lazy);
}

inline void SimDisk::SyncRequested(bool lazy) {
  ++counters_.sync_requests;
  if (!lazy) ++eager_waiting_;
  if (sync_in_flight_) return;
  if (eager_waiting_ > 0) return StartSync();
  ArmLazyTimer();
}

inline absl::Status SimDisk::MaybeFailWrite(absl::string_view file, int64_t growth_bytes) {
  // With both rates zero no draw is made (Random::Chance draws nothing for
  // a zero numerator), so the usual case decides without the calls below.
  if (faults_.write_error_ppm == 0 && faults_.disk_full_ppm == 0 &&
      used_bytes_ + growth_bytes <= options_.capacity_bytes) [[likely]] {
    return absl::OkStatus();
  }
  return DrawWriteFault(file, growth_bytes);
}

inline void SimDisk::AddPending(File& file, bool is_replace, uint64_t offset, uint64_t length) {
  if (!file.dirty) {
    file.dirty = true;
    dirty_files_.push_back(&file);
  }
  file.pending.push_back(PendingOperation{next_sequence_++, is_replace, /*owned=*/false, offset,
                                          length});
}

inline void SimDisk::AddPendingAppend(File& file, uint64_t offset) {
  const uint64_t length = file.current.size() - offset;
  file.exists = true;
  AddPending(file, /*is_replace=*/false, offset, length);
  used_bytes_ += static_cast<int64_t>(length);
}

[[gnu::always_inline]] inline absl::Status SimDisk::FinishAppendEncoded(File& file,
                                                                        uint64_t offset) {
  KV_CHECK_GE(file.current.size(), offset);
  const uint64_t length = file.current.size() - offset;
  // The draws depend only on the size, so drawing after encoding draws what
  // Append would have drawn before copying.
  if (absl::Status status = MaybeFailWrite(file.name, static_cast<int64_t>(length));
      !status.ok()) [[unlikely]] {
    file.current.Truncate(offset);
    return status;
  }
  AddPendingAppend(file, offset);
  return absl::OkStatus();
}

}  // namespace kv::storage
