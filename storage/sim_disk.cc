#include "storage/sim_disk.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::storage {
namespace {

// Rates a drawn fault mix chooses from: rare, occasional, frequent.
constexpr uint32_t kRateLadderPpm[] = {100, 2'000, 20'000};

uint32_t MaybeRate(env::Random& random) {
  if (!random.Chance(1, 2)) return 0;
  return kRateLadderPpm[random.Uniform(std::size(kRateLadderPpm))];
}

}  // namespace

SimDiskFaults SimDiskFaults::Draw(env::Random& random) {
  // Draw every field, in a fixed order, whether or not it ends up on, so that
  // the draws of one field never shift another's.
  SimDiskFaults faults;
  faults.write_error_ppm = MaybeRate(random);
  faults.disk_full_ppm = MaybeRate(random);
  faults.sync_failure_ppm = MaybeRate(random);
  faults.read_corruption_ppm = MaybeRate(random);
  faults.latency_spike_ppm = MaybeRate(random);
  faults.torn_write_ppm = random.Chance(1, 2) ? 500'000 : 0;
  return faults;
}

void SimPageCache::GrowRoom() {
  // Fills ahead up to this much at once within the capacity the string
  // holds, so that the next several appends (a record is 100-200 bytes in
  // the standard scenario) write into room; past the capacity, only to the
  // size needed, since the string's growth doubles its capacity anyway.
  // Not more: glibc's memset stores a larger fill with `rep stosb` (from 2
  // KiB by default), which callgrind counts as an instruction per byte,
  // and a journal rewrite discards the room (measured: 4 KiB at a time
  // cost 7M more instructions per standard run than 1 KiB, 64 KiB 12M).
  constexpr uint64_t kFillAheadBytes = 1024;
  bytes_.resize(std::max(size_, std::min<uint64_t>(bytes_.capacity(), size_ + kFillAheadBytes)));
}

SimDisk::SimDisk(env::Clock& clock, env::Random random, SimDiskOptions options)
    : clock_(clock), random_(std::move(random)), options_(options) {
  KV_CHECK_GE(options_.sync_latency_min_ns, 0);
  KV_CHECK_GE(options_.sync_latency_mean_extra_ns, 0);
}

SimDisk::~SimDisk() {
  if (sync_in_flight_) clock_.Cancel(sync_timer_);
  CancelLazyTimer();
}

absl::Status SimDisk::DrawWriteFault(absl::string_view file, int64_t growth_bytes) {
  if (random_.ChancePpm(faults_.write_error_ppm)) {
    ++counters_.write_errors;
    return absl::UnavailableError(absl::StrCat("injected write error (EIO) on ", file));
  }
  if (used_bytes_ + growth_bytes > options_.capacity_bytes) {
    ++counters_.disk_full_errors;
    return absl::ResourceExhaustedError(absl::StrCat("disk full (ENOSPC) writing ", growth_bytes,
                                                     " bytes to ", file, ": ", used_bytes_,
                                                     " of ", options_.capacity_bytes, " used"));
  }
  if (random_.ChancePpm(faults_.disk_full_ppm)) {
    ++counters_.disk_full_errors;
    return absl::ResourceExhaustedError(absl::StrCat("injected disk full (ENOSPC) on ", file));
  }
  return absl::OkStatus();
}

SimDisk::File* SimDisk::Find(absl::string_view name) const {
  auto it = files_.find(name);
  if (it == files_.end() || !it->second.exists) return nullptr;
  // The map owns the file; the disk hands out mutable access to its own files.
  return const_cast<File*>(&it->second);
}

SimDisk::FileRef SimDisk::Resolve(absl::string_view name) {
  auto it = files_.find(name);
  if (it == files_.end()) {
    it = files_.emplace(std::string(name), File{}).first;
    it->second.name = it->first;
  }
  return FileRef(&it->second);
}

absl::string_view SimDisk::OperationBytes(const File& file, const PendingOperation& operation) {
  if (operation.owned) return file.owned_bytes.at(operation.sequence);
  return file.current.view().substr(operation.offset, operation.length);
}

void SimDisk::OwnBytes(File& file, PendingOperation& operation) {
  if (operation.owned) return;
  file.owned_bytes[operation.sequence] = std::string(OperationBytes(file, operation));
  operation.owned = true;
}

void SimDisk::OwnDurable(File& file) {
  if (!file.durable_is_prefix) return;
  file.durable.assign(file.current.data(), file.durable_size);
  file.durable_is_prefix = false;
}

void SimDisk::ApplyToDurable(File& file, PendingOperation& operation) {
  if (operation.is_replace) {
    if (operation.owned) {
      file.durable = std::move(file.owned_bytes.at(operation.sequence));
      file.durable_is_prefix = false;
    } else {
      // The page cache still starts with what this replace wrote. Swapped
      // with an empty string, which frees the copy: assigning one (or
      // clear()) keeps its buffer.
      std::string().swap(file.durable);
      file.durable_is_prefix = true;
      file.durable_size = operation.length;
    }
    return;
  }
  AppendToDurable(file, operation, operation.length);
}

void SimDisk::AppendToDurable(File& file, const PendingOperation& operation, uint64_t length) {
  if (file.durable_is_prefix && !operation.owned && operation.offset == file.durable_size) {
    file.durable_size += length;
    return;
  }
  OwnDurable(file);
  const absl::string_view bytes = OperationBytes(file, operation).substr(0, length);
  file.durable.append(bytes.data(), bytes.size());
}

absl::Status SimDisk::Append(FileRef ref, absl::string_view bytes) {
  KV_CHECK(ref.valid());
  File& file = *ref.file_;
  if (absl::Status status = MaybeFailWrite(file.name, static_cast<int64_t>(bytes.size()));
      !status.ok()) {
    return status;
  }
  const uint64_t offset = file.current.size();
  file.current.Append(bytes);
  AddPendingAppend(file, offset);
  return absl::OkStatus();
}

absl::Status SimDisk::Replace(FileRef ref, std::string contents) {
  KV_CHECK(ref.valid());
  File& file = *ref.file_;
  const int64_t growth =
      static_cast<int64_t>(contents.size()) - static_cast<int64_t>(file.current.size());
  if (absl::Status status = MaybeFailWrite(file.name, growth > 0 ? growth : 0); !status.ok()) {
    return status;
  }
  file.exists = true;
  // The page cache is about to change under the pending operations and the
  // durable content: give them their own bytes. The old page cache becomes
  // the durable content without a copy.
  for (PendingOperation& operation : file.pending) OwnBytes(file, operation);
  if (file.durable_is_prefix) {
    file.durable = file.current.Take();
    file.durable.resize(file.durable_size);
    file.durable_is_prefix = false;
  }
  used_bytes_ += growth;
  const uint64_t length = contents.size();
  file.current.Assign(std::move(contents));
  AddPending(file, /*is_replace=*/true, 0, length);
  return absl::OkStatus();
}

void SimDisk::Reserve(FileRef ref, uint64_t bytes) {
  KV_CHECK(ref.valid());
  // Pending operations and the durable prefix are offsets into the page
  // cache, not pointers, so moving its bytes leaves them valid.
  ref.file_->current.Reserve(bytes);
}

void SimDisk::Sync(env::OnDone on_done, bool lazy) {
  waiting_callbacks_.emplace_back(std::move(on_done), absl::OkStatus(), nullptr);
  SyncRequested(lazy);
}

// Inline in FinishSync, its one caller, which runs it for every request a
// sync covers: a call per request cost more than the tests in its body.
[[gnu::always_inline]] inline void SimDisk::Complete(SyncRequest& request,
                                                     const absl::Status& sync_status) {
  if (request.gate == nullptr) return request.on_done(sync_status);
  request.gate->Fail(sync_status);
  if (!request.status.ok()) return request.on_done(std::move(request.status));
  if (!sync_status.ok()) return request.on_done(sync_status);
  // A later success cannot vouch for an earlier failed sync's data, so
  // nothing is acknowledged once the gate has closed.
  request.on_done(request.gate->Check());
}

void SimDisk::ArmLazyTimerNow() {
  lazy_timer_pending_ = true;
  lazy_timer_ = clock_.After(options_.lazy_sync_delay_ns, [this] {
    lazy_timer_pending_ = false;
    lazy_timer_ = env::TimerId{};
    if (!sync_in_flight_ && !waiting_callbacks_.empty()) StartSync();
  });
}

void SimDisk::CancelLazyTimer() {
  if (!lazy_timer_pending_) return;
  clock_.Cancel(lazy_timer_);
  lazy_timer_pending_ = false;
  lazy_timer_ = env::TimerId{};
}

void SimDisk::StartSync() {
  KV_CHECK(!sync_in_flight_);
  KV_CHECK(in_flight_callbacks_.empty());
  CancelLazyTimer();  // Everything waiting is covered by this sync.
  eager_waiting_ = 0;
  sync_in_flight_ = true;
  // Swap rather than move, so both vectors keep their capacity.
  in_flight_callbacks_.swap(waiting_callbacks_);
  in_flight_covers_sequence_ = next_sequence_ - 1;
  env::DurationNs latency_ns =
      options_.sync_latency_min_ns + random_.Exponential(options_.sync_latency_mean_extra_ns);
  if (random_.ChancePpm(faults_.latency_spike_ppm)) {
    ++counters_.latency_spikes;
    latency_ns += options_.latency_spike_ns;
  }
  sync_timer_ = clock_.After(latency_ns, [this] { FinishSync(); });
}

void SimDisk::FinishSync() {
  KV_CHECK(sync_in_flight_);
  ++counters_.syncs;
  absl::Status status;
  if (random_.ChancePpm(faults_.sync_failure_ppm)) {
    // As with Linux after a failed fsync, nothing the sync covered can be
    // trusted to be durable; the pending operations stay pending (a crash may
    // still keep or drop them). The storage above stops accepting writes.
    ++counters_.sync_failures;
    status = absl::UnavailableError("injected sync failure (fsync EIO)");
  } else {
    size_t kept = 0;
    for (File* file : dirty_files_) {
      size_t done = 0;
      while (done < file->pending.size() &&
             file->pending[done].sequence <= in_flight_covers_sequence_) {
        PendingOperation& operation = file->pending[done];
        // The usual case inline: an append right after the durable prefix
        // of the page cache extends the prefix.
        if (!operation.is_replace && !operation.owned && file->durable_is_prefix &&
            operation.offset == file->durable_size) {
          file->durable_size += operation.length;
        } else {
          ApplyToDurable(*file, operation);
        }
        ++done;
      }
      // The owned bytes of the operations done go with them (they all
      // precede those still pending).
      if (!file->owned_bytes.empty()) [[unlikely]] {
        file->owned_bytes.erase(file->owned_bytes.begin(),
                                file->owned_bytes.upper_bound(in_flight_covers_sequence_));
      }
      if (done == file->pending.size()) {
        file->pending.clear();
      } else {
        file->pending.erase(file->pending.begin(), file->pending.begin() + done);
      }
      if (!file->pending.empty()) {
        dirty_files_[kept++] = file;
        continue;
      }
      file->dirty = false;
      // Only bit rot in then-pending bytes makes the durable content differ
      // from the page cache once nothing is pending; otherwise share again.
      if (!file->durable_is_prefix && file->durable == file->current.view()) {
        std::string().swap(file->durable);  // Freed, as above.
        file->durable_is_prefix = true;
        file->durable_size = file->current.size();
      }
    }
    dirty_files_.resize(kept);
  }
  // The callbacks run from a third vector, since they may request syncs
  // (which fill waiting_callbacks_ and may start one, refilling
  // in_flight_callbacks_). Syncs finish only from the timer, so this never
  // runs re-entrantly; the vectors are swapped, not moved, to keep their
  // capacity and allocate nothing per sync.
  KV_CHECK(finishing_callbacks_.empty());
  finishing_callbacks_.swap(in_flight_callbacks_);
  sync_in_flight_ = false;
  sync_timer_ = env::TimerId{};
  // Start the next group before running callbacks, which may request more;
  // lazy requests alone wait for an eager one a while longer.
  if (eager_waiting_ > 0) {
    StartSync();
  } else if (!waiting_callbacks_.empty()) {
    ArmLazyTimer();
  }
  for (SyncRequest& request : finishing_callbacks_) Complete(request, status);
  finishing_callbacks_.clear();
}

absl::StatusOr<absl::string_view> SimDisk::ReadViewSlow(FileRef ref, uint64_t offset,
                                                       uint64_t length, std::string& scratch) {
  const File& file = *ref.file_;
  if (!file.exists) return absl::NotFoundError(absl::StrCat("no file ", file.name));
  const absl::string_view current = file.current.view();
  if (offset > current.size() || length > current.size() - offset) {
    return absl::OutOfRangeError(absl::StrCat("read of [", offset, ", +", length, ") beyond ",
                                              file.name, " of ", current.size(), " bytes"));
  }
  const absl::string_view bytes = current.substr(offset, length);
  if (!bytes.empty() && random_.ChancePpm(faults_.read_corruption_ppm)) {
    ++counters_.read_corruptions;
    const uint64_t bit = random_.Uniform(bytes.size() * 8);
    scratch.assign(bytes.data(), bytes.size());
    scratch[bit / 8] = static_cast<char>(scratch[bit / 8] ^ (1 << (bit % 8)));
    return absl::string_view(scratch);
  }
  return bytes;
}

absl::StatusOr<std::string> SimDisk::Read(absl::string_view name, uint64_t offset,
                                          uint64_t length) {
  File* file = Find(name);
  if (file == nullptr) return absl::NotFoundError(absl::StrCat("no file ", name));
  std::string scratch;
  absl::StatusOr<absl::string_view> bytes = ReadView(FileRef(file), offset, length, scratch);
  if (!bytes.ok()) return bytes.status();
  return std::string(*bytes);
}

uint64_t SimDisk::FileSize(absl::string_view name) const {
  const File* file = Find(name);
  return file == nullptr ? 0 : file->current.size();
}

std::vector<std::string> SimDisk::ListFiles(absl::string_view prefix) const {
  std::vector<std::string> names;
  for (auto it = files_.lower_bound(prefix);
       it != files_.end() && absl::string_view(it->first).substr(0, prefix.size()) == prefix;
       ++it) {
    if (it->second.exists) names.push_back(it->first);
  }
  return names;
}

void SimDisk::CrashFile(File& file) {
  const uint64_t pending_count = file.pending.size();
  const uint64_t survivors = random_.Uniform(pending_count + 1);
  for (uint64_t i = 0; i < survivors; ++i) ApplyToDurable(file, file.pending[i]);
  if (survivors < pending_count) {
    const PendingOperation& first_lost = file.pending[survivors];
    if (!first_lost.is_replace && first_lost.length > 1 &&
        random_.ChancePpm(faults_.torn_write_ppm)) {
      // A torn write: some sectors of the append made it, the rest did not.
      ++counters_.torn_writes;
      AppendToDurable(file, first_lost, 1 + random_.Uniform(first_lost.length - 1));
      counters_.lost_operations += static_cast<int64_t>(pending_count - survivors - 1);
    } else {
      counters_.lost_operations += static_cast<int64_t>(pending_count - survivors);
    }
  }
  file.pending.clear();
  file.owned_bytes.clear();
  file.dirty = false;
  if (file.durable_is_prefix) {
    used_bytes_ += static_cast<int64_t>(file.durable_size) -
                   static_cast<int64_t>(file.current.size());
    file.current.Truncate(file.durable_size);
  } else {
    used_bytes_ += static_cast<int64_t>(file.durable.size()) -
                   static_cast<int64_t>(file.current.size());
    file.current.Assign(std::move(file.durable));
    file.durable = std::string();
    file.durable_is_prefix = true;
    file.durable_size = file.current.size();
  }
}

void SimDisk::InjectBitRot(absl::string_view name, uint64_t offset) {
  File* file = Find(name);
  KV_CHECK(file != nullptr);
  KV_CHECK_LT(offset, file->current.size());
  ++alterations_;
  // Pending operations keep the bytes they wrote, as a disk's write queue
  // would: only the page cache and the durable copy rot.
  for (PendingOperation& operation : file->pending) {
    if (!operation.owned && offset >= operation.offset &&
        offset - operation.offset < operation.length) {
      OwnBytes(*file, operation);
    }
  }
  // A durable prefix of the page cache rots with it.
  file->current.data()[offset] = static_cast<char>(file->current.data()[offset] ^ 0x20);
  if (!file->durable_is_prefix && offset < file->durable.size()) {
    file->durable[offset] = static_cast<char>(file->durable[offset] ^ 0x20);
  }
}

void SimDisk::DropSyncs() {
  if (sync_in_flight_) clock_.Cancel(sync_timer_);
  CancelLazyTimer();
  sync_in_flight_ = false;
  sync_timer_ = env::TimerId{};
  in_flight_callbacks_.clear();
  waiting_callbacks_.clear();
  eager_waiting_ = 0;
}

void SimDisk::Crash() {
  ++counters_.crashes;
  ++alterations_;
  DropSyncs();
  // Every existing file, in name order: each draws from the stream.
  for (auto& [name, file] : files_) {
    if (file.exists) CrashFile(file);
  }
  dirty_files_.clear();
}

void SimDisk::ProcessCrash() {
  ++counters_.crashes;
  DropSyncs();
}

}  // namespace kv::storage
