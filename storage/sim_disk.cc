#include "storage/sim_disk.h"

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

SimDisk::SimDisk(env::Clock& clock, env::Random random, SimDiskOptions options)
    : clock_(clock), random_(std::move(random)), options_(options) {
  KV_CHECK_GE(options_.sync_latency_min_ns, 0);
  KV_CHECK_GE(options_.sync_latency_mean_extra_ns, 0);
}

SimDisk::~SimDisk() {
  if (sync_in_flight_) clock_.Cancel(sync_timer_);
}

absl::Status SimDisk::MaybeFailWrite(absl::string_view file, int64_t growth_bytes) {
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

absl::Status SimDisk::Append(absl::string_view name, absl::string_view bytes) {
  if (absl::Status status = MaybeFailWrite(name, static_cast<int64_t>(bytes.size()));
      !status.ok()) {
    return status;
  }
  auto it = files_.find(name);
  if (it == files_.end()) it = files_.emplace(std::string(name), File{}).first;
  File& file = it->second;
  file.current.append(bytes.data(), bytes.size());
  file.pending.push_back(PendingOperation{next_sequence_++, false, std::string(bytes)});
  used_bytes_ += static_cast<int64_t>(bytes.size());
  return absl::OkStatus();
}

absl::Status SimDisk::Replace(absl::string_view name, std::string contents) {
  const int64_t growth =
      static_cast<int64_t>(contents.size()) - static_cast<int64_t>(FileSize(name));
  if (absl::Status status = MaybeFailWrite(name, growth > 0 ? growth : 0); !status.ok()) {
    return status;
  }
  auto it = files_.find(name);
  if (it == files_.end()) it = files_.emplace(std::string(name), File{}).first;
  File& file = it->second;
  used_bytes_ += growth;
  file.current = contents;
  file.pending.push_back(PendingOperation{next_sequence_++, true, std::move(contents)});
  return absl::OkStatus();
}

void SimDisk::Sync(env::OnDone on_done) {
  ++counters_.sync_requests;
  waiting_callbacks_.push_back(std::move(on_done));
  if (!sync_in_flight_) StartSync();
}

void SimDisk::StartSync() {
  KV_CHECK(!sync_in_flight_);
  KV_CHECK(in_flight_callbacks_.empty());
  sync_in_flight_ = true;
  in_flight_callbacks_ = std::move(waiting_callbacks_);
  waiting_callbacks_.clear();
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
    for (auto& [name, file] : files_) {
      size_t done = 0;
      while (done < file.pending.size() &&
             file.pending[done].sequence <= in_flight_covers_sequence_) {
        PendingOperation& operation = file.pending[done];
        if (operation.is_replace) {
          file.durable = std::move(operation.bytes);
        } else {
          file.durable.append(operation.bytes);
        }
        ++done;
      }
      file.pending.erase(file.pending.begin(), file.pending.begin() + done);
    }
  }
  std::vector<env::OnDone> callbacks = std::move(in_flight_callbacks_);
  in_flight_callbacks_.clear();
  sync_in_flight_ = false;
  sync_timer_ = env::TimerId{};
  // Start the next group before running callbacks, which may request more.
  if (!waiting_callbacks_.empty()) StartSync();
  for (auto& callback : callbacks) callback(status);
}

absl::StatusOr<std::string> SimDisk::Read(absl::string_view name, uint64_t offset,
                                          uint64_t length) {
  auto it = files_.find(name);
  if (it == files_.end()) return absl::NotFoundError(absl::StrCat("no file ", name));
  const std::string& current = it->second.current;
  if (offset > current.size() || length > current.size() - offset) {
    return absl::OutOfRangeError(absl::StrCat("read of [", offset, ", +", length, ") beyond ",
                                              name, " of ", current.size(), " bytes"));
  }
  std::string bytes = current.substr(offset, length);
  if (!bytes.empty() && random_.ChancePpm(faults_.read_corruption_ppm)) {
    ++counters_.read_corruptions;
    const uint64_t bit = random_.Uniform(bytes.size() * 8);
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
  }
  return bytes;
}

uint64_t SimDisk::FileSize(absl::string_view name) const {
  auto it = files_.find(name);
  return it == files_.end() ? 0 : it->second.current.size();
}

std::vector<std::string> SimDisk::ListFiles(absl::string_view prefix) const {
  std::vector<std::string> names;
  for (auto it = files_.lower_bound(prefix);
       it != files_.end() && absl::string_view(it->first).substr(0, prefix.size()) == prefix;
       ++it) {
    names.push_back(it->first);
  }
  return names;
}

void SimDisk::CrashFile(File& file) {
  const uint64_t pending_count = file.pending.size();
  const uint64_t survivors = random_.Uniform(pending_count + 1);
  for (uint64_t i = 0; i < survivors; ++i) {
    PendingOperation& operation = file.pending[i];
    if (operation.is_replace) {
      file.durable = std::move(operation.bytes);
    } else {
      file.durable.append(operation.bytes);
    }
  }
  if (survivors < pending_count) {
    const PendingOperation& first_lost = file.pending[survivors];
    if (!first_lost.is_replace && first_lost.bytes.size() > 1 &&
        random_.ChancePpm(faults_.torn_write_ppm)) {
      // A torn write: some sectors of the append made it, the rest did not.
      ++counters_.torn_writes;
      file.durable.append(first_lost.bytes, 0, 1 + random_.Uniform(first_lost.bytes.size() - 1));
      counters_.lost_operations += static_cast<int64_t>(pending_count - survivors - 1);
    } else {
      counters_.lost_operations += static_cast<int64_t>(pending_count - survivors);
    }
  }
  file.pending.clear();
  used_bytes_ += static_cast<int64_t>(file.durable.size()) -
                 static_cast<int64_t>(file.current.size());
  file.current = file.durable;
}

void SimDisk::InjectBitRot(absl::string_view name, uint64_t offset) {
  auto it = files_.find(name);
  KV_CHECK(it != files_.end());
  File& file = it->second;
  KV_CHECK_LT(offset, file.current.size());
  file.current[offset] = static_cast<char>(file.current[offset] ^ 0x20);
  if (offset < file.durable.size()) {
    file.durable[offset] = static_cast<char>(file.durable[offset] ^ 0x20);
  }
}

void SimDisk::DropSyncs() {
  if (sync_in_flight_) clock_.Cancel(sync_timer_);
  sync_in_flight_ = false;
  sync_timer_ = env::TimerId{};
  in_flight_callbacks_.clear();
  waiting_callbacks_.clear();
}

void SimDisk::Crash() {
  ++counters_.crashes;
  DropSyncs();
  for (auto& [name, file] : files_) CrashFile(file);
}

void SimDisk::ProcessCrash() {
  ++counters_.crashes;
  DropSyncs();
}

}  // namespace kv::storage
