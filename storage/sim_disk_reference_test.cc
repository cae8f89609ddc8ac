// SimDisk against a reference model: the straightforward implementation it
// replaced, which keeps the durable content, the page cache and every
// pending operation's bytes as separate copies. SimDisk shares those bytes
// (pending appends are ranges of the page cache, the durable content is
// usually a prefix of it), so this test drives both with the same seed and
// the same random operations, faults and crashes included, and requires the
// same contents, errors, sync outcomes, counters and random draws at every
// step.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/env/check.h"
#include "storage/sim_disk.h"
#include "storage/testing/manual_loop.h"

namespace kv::storage {
namespace {

using testing::ManualLoop;

// The previous SimDisk, reduced to what this test calls; same draws in the
// same order.
class ReferenceDisk {
 public:
  ReferenceDisk(env::Clock& clock, env::Random random, SimDiskOptions options)
      : clock_(clock), random_(std::move(random)), options_(options) {}

  void SetFaults(const SimDiskFaults& faults) { faults_ = faults; }
  const SimDiskCounters& counters() const { return counters_; }
  int64_t used_bytes() const { return used_bytes_; }

  absl::Status Append(absl::string_view name, absl::string_view bytes) {
    if (absl::Status status = MaybeFailWrite(name, static_cast<int64_t>(bytes.size()));
        !status.ok()) {
      return status;
    }
    File& file = files_[std::string(name)];
    file.current.append(bytes.data(), bytes.size());
    file.pending.push_back(Operation{next_sequence_++, false, std::string(bytes)});
    used_bytes_ += static_cast<int64_t>(bytes.size());
    return absl::OkStatus();
  }

  absl::Status Replace(absl::string_view name, std::string contents) {
    const int64_t growth =
        static_cast<int64_t>(contents.size()) - static_cast<int64_t>(FileSize(name));
    if (absl::Status status = MaybeFailWrite(name, growth > 0 ? growth : 0); !status.ok()) {
      return status;
    }
    File& file = files_[std::string(name)];
    used_bytes_ += growth;
    file.current = contents;
    file.pending.push_back(Operation{next_sequence_++, true, std::move(contents)});
    return absl::OkStatus();
  }

  void Sync(env::OnDone on_done) {
    ++counters_.sync_requests;
    waiting_.push_back(std::move(on_done));
    if (!in_flight_) StartSync();
  }

  absl::StatusOr<std::string> Read(absl::string_view name, uint64_t offset, uint64_t length) {
    auto it = files_.find(std::string(name));
    if (it == files_.end()) return absl::NotFoundError("no file");
    const std::string& current = it->second.current;
    if (offset > current.size() || length > current.size() - offset) {
      return absl::OutOfRangeError("beyond");
    }
    std::string bytes = current.substr(offset, length);
    if (!bytes.empty() && random_.ChancePpm(faults_.read_corruption_ppm)) {
      ++counters_.read_corruptions;
      const uint64_t bit = random_.Uniform(bytes.size() * 8);
      bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    }
    return bytes;
  }

  uint64_t FileSize(absl::string_view name) const {
    auto it = files_.find(std::string(name));
    return it == files_.end() ? 0 : it->second.current.size();
  }

  std::vector<std::string> ListFiles() const {
    std::vector<std::string> names;
    for (const auto& [name, file] : files_) names.push_back(name);
    return names;
  }

  void Crash() {
    ++counters_.crashes;
    DropSyncs();
    for (auto& [name, file] : files_) CrashFile(file);
  }

  void ProcessCrash() {
    ++counters_.crashes;
    DropSyncs();
  }

  void InjectBitRot(absl::string_view name, uint64_t offset) {
    File& file = files_.at(std::string(name));
    file.current[offset] = static_cast<char>(file.current[offset] ^ 0x20);
    if (offset < file.durable.size()) {
      file.durable[offset] = static_cast<char>(file.durable[offset] ^ 0x20);
    }
  }

 private:
  struct Operation {
    uint64_t sequence = 0;
    bool is_replace = false;
    std::string bytes;
  };
  struct File {
    std::string durable;
    std::string current;
    std::vector<Operation> pending;
  };

  absl::Status MaybeFailWrite(absl::string_view file, int64_t growth_bytes) {
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

  void StartSync() {
    in_flight_ = true;
    in_flight_callbacks_ = std::move(waiting_);
    waiting_.clear();
    covers_ = next_sequence_ - 1;
    env::DurationNs latency_ns =
        options_.sync_latency_min_ns + random_.Exponential(options_.sync_latency_mean_extra_ns);
    if (random_.ChancePpm(faults_.latency_spike_ppm)) {
      ++counters_.latency_spikes;
      latency_ns += options_.latency_spike_ns;
    }
    timer_ = clock_.After(latency_ns, [this] { FinishSync(); });
  }

  void FinishSync() {
    ++counters_.syncs;
    absl::Status status;
    if (random_.ChancePpm(faults_.sync_failure_ppm)) {
      ++counters_.sync_failures;
      status = absl::UnavailableError("injected sync failure (fsync EIO)");
    } else {
      for (auto& [name, file] : files_) {
        size_t done = 0;
        while (done < file.pending.size() && file.pending[done].sequence <= covers_) {
          Operation& operation = file.pending[done];
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
    in_flight_ = false;
    if (!waiting_.empty()) StartSync();
    for (auto& callback : callbacks) callback(status);
  }

  void CrashFile(File& file) {
    const uint64_t pending_count = file.pending.size();
    const uint64_t survivors = random_.Uniform(pending_count + 1);
    for (uint64_t i = 0; i < survivors; ++i) {
      Operation& operation = file.pending[i];
      if (operation.is_replace) {
        file.durable = std::move(operation.bytes);
      } else {
        file.durable.append(operation.bytes);
      }
    }
    if (survivors < pending_count) {
      const Operation& first_lost = file.pending[survivors];
      if (!first_lost.is_replace && first_lost.bytes.size() > 1 &&
          random_.ChancePpm(faults_.torn_write_ppm)) {
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

  void DropSyncs() {
    if (in_flight_) clock_.Cancel(timer_);
    in_flight_ = false;
    in_flight_callbacks_.clear();
    waiting_.clear();
  }

  env::Clock& clock_;
  env::Random random_;
  SimDiskOptions options_;
  SimDiskFaults faults_;
  SimDiskCounters counters_;
  std::map<std::string, File> files_;
  int64_t used_bytes_ = 0;
  uint64_t next_sequence_ = 1;
  bool in_flight_ = false;
  uint64_t covers_ = 0;
  env::TimerId timer_;
  std::vector<env::OnDone> in_flight_callbacks_;
  std::vector<env::OnDone> waiting_;
};

std::string Describe(const SimDiskCounters& c) {
  return absl::StrCat("write errors ", c.write_errors, ", disk full ", c.disk_full_errors,
                      ", sync failures ", c.sync_failures, ", read corruptions ",
                      c.read_corruptions, ", spikes ", c.latency_spikes, ", torn ", c.torn_writes,
                      ", lost ", c.lost_operations, ", crashes ", c.crashes, ", syncs ", c.syncs,
                      ", requests ", c.sync_requests);
}

std::string StatusText(const absl::Status& status) {
  return absl::StrCat(static_cast<int>(status.code()), ":", status.message());
}

// Runs `steps` random operations on both disks and checks they agree after
// each. Leaves the counters in `counters`, so the caller can check that the
// faults fired.
void RunAgainstReference(uint64_t seed, int steps, const SimDiskFaults& faults,
                         SimDiskCounters& counters) {
  SimDiskOptions options;
  options.capacity_bytes = 600;  // Small, so ENOSPC happens for real too.
  ManualLoop loop;
  ManualLoop reference_loop;
  SimDisk disk(loop, env::Random(seed), options);
  ReferenceDisk reference(reference_loop, env::Random(seed), options);
  disk.SetFaults(faults);
  reference.SetFaults(faults);
  env::Random driver(seed ^ 0x9e3779b97f4a7c15ULL);
  const std::vector<std::string> names = {"a", "b/1", "b/2"};
  std::vector<SimDisk::FileRef> refs;
  for (const std::string& name : names) refs.push_back(disk.Resolve(name));
  std::string trace;
  std::string reference_trace;

  auto bytes_of = [&driver](uint64_t max_length) {
    std::string bytes(driver.Uniform(max_length + 1), '\0');
    for (char& c : bytes) c = static_cast<char>('a' + driver.Uniform(26));
    return bytes;
  };
  for (int step = 0; step < steps; ++step) {
    SCOPED_TRACE(absl::StrCat("seed ", seed, " step ", step));
    const size_t which = driver.Uniform(names.size());
    const std::string& name = names[which];
    const bool by_ref = driver.Chance(1, 2);
    switch (driver.Uniform(10)) {
      case 0:
      case 1:
      case 2: {
        const std::string bytes = bytes_of(24);
        // Three ways to append the same bytes: by name, by reference, and
        // encoded in place (in two pieces, as a record and its payload).
        const bool encoded = by_ref && driver.Chance(1, 2);
        const absl::Status status =
            encoded  ? disk.AppendEncoded(refs[which],
                                          [&bytes](SimPageCache& out) {
                                            const absl::string_view all = bytes;
                                            const size_t half = all.size() / 2;
                                            out.Append(all.substr(0, half));
                                            out.Append(all.substr(half));
                                          })
            : by_ref ? disk.Append(refs[which], bytes)
                     : disk.Append(name, bytes);
        EXPECT_EQ(StatusText(status), StatusText(reference.Append(name, bytes)));
        break;
      }
      case 3: {
        const std::string bytes = bytes_of(60);
        const absl::Status status =
            by_ref ? disk.Replace(refs[which], bytes) : disk.Replace(name, bytes);
        EXPECT_EQ(StatusText(status), StatusText(reference.Replace(name, bytes)));
        break;
      }
      case 4:
        disk.Sync([&trace](absl::Status status) { trace += status.ok() ? "+" : "-"; });
        reference.Sync([&reference_trace](absl::Status status) {
          reference_trace += status.ok() ? "+" : "-";
        });
        break;
      case 5:
      case 6: {
        int events = static_cast<int>(driver.Uniform(3));
        int reference_events = events;
        loop.RunUntil([&events] { return events-- <= 0; });
        reference_loop.RunUntil([&reference_events] { return reference_events-- <= 0; });
        break;
      }
      case 7:
        if (driver.Chance(1, 2)) {
          loop.DropAll();
          reference_loop.DropAll();
          disk.Crash();
          reference.Crash();
        } else {
          disk.ProcessCrash();
          reference.ProcessCrash();
        }
        break;
      case 8:
        if (reference.FileSize(name) > 0) {
          const uint64_t offset = driver.Uniform(reference.FileSize(name));
          disk.InjectBitRot(name, offset);
          reference.InjectBitRot(name, offset);
        }
        break;
      case 9: {
        const uint64_t size = reference.FileSize(name);
        const uint64_t offset = driver.Uniform(size + 2);
        const uint64_t length = driver.Uniform(size + 2);
        absl::StatusOr<std::string> expected = reference.Read(name, offset, length);
        if (by_ref) {
          // The fault-free look first: it answers exactly when no fault can
          // fire and the read succeeds, with the read's bytes, and draws
          // nothing (the reference makes no draw for it, and the counters
          // and clocks are compared below).
          absl::string_view seen;
          const bool without_faults = disk.ViewWithoutFaults(refs[which], offset, length, seen);
          ASSERT_EQ(without_faults, faults.read_corruption_ppm == 0 && expected.ok());
          if (without_faults) {
            EXPECT_EQ(std::string(seen), *expected);
          }
          std::string scratch;
          absl::StatusOr<absl::string_view> got =
              disk.ReadView(refs[which], offset, length, scratch);
          ASSERT_EQ(got.status().code(), expected.status().code());
          if (got.ok()) {
            EXPECT_EQ(std::string(*got), *expected);
          }
        } else {
          absl::StatusOr<std::string> got = disk.Read(name, offset, length);
          ASSERT_EQ(got.status().code(), expected.status().code());
          if (got.ok()) {
            EXPECT_EQ(*got, *expected);
          }
        }
        break;
      }
    }
    ASSERT_EQ(disk.ListFiles(""), reference.ListFiles());
    ASSERT_EQ(disk.used_bytes(), reference.used_bytes());
    ASSERT_EQ(Describe(disk.counters()), Describe(reference.counters()));
    ASSERT_EQ(trace, reference_trace);
    ASSERT_EQ(loop.NowNs(), reference_loop.NowNs());
    // Whole contents, read with the read-corruption fault off so that these
    // reads draw nothing.
    SimDiskFaults exact = faults;
    exact.read_corruption_ppm = 0;
    disk.SetFaults(exact);
    reference.SetFaults(exact);
    for (size_t i = 0; i < names.size(); ++i) {
      const uint64_t size = reference.FileSize(names[i]);
      ASSERT_EQ(disk.FileSize(names[i]), size) << names[i];
      ASSERT_EQ(disk.FileSize(refs[i]), size) << names[i];
      if (size > 0) {
        ASSERT_EQ(*disk.Read(names[i], 0, size), *reference.Read(names[i], 0, size)) << names[i];
      }
    }
    disk.SetFaults(faults);
    reference.SetFaults(faults);
  }
  counters = disk.counters();
}

TEST(SimDiskReferenceTest, PerfectDiskMatchesReference) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SimDiskCounters counters;
    RunAgainstReference(seed, 400, SimDiskFaults{}, counters);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(SimDiskReferenceTest, FaultyDiskMatchesReference) {
  SimDiskFaults faults;
  faults.write_error_ppm = 50'000;
  faults.disk_full_ppm = 50'000;
  faults.sync_failure_ppm = 100'000;
  faults.read_corruption_ppm = 100'000;
  faults.latency_spike_ppm = 100'000;
  faults.torn_write_ppm = 500'000;
  SimDiskCounters total;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    SimDiskCounters counters;
    RunAgainstReference(seed, 400, faults, counters);
    if (::testing::Test::HasFatalFailure()) return;
    total.write_errors += counters.write_errors;
    total.disk_full_errors += counters.disk_full_errors;
    total.sync_failures += counters.sync_failures;
    total.read_corruptions += counters.read_corruptions;
    total.latency_spikes += counters.latency_spikes;
    total.torn_writes += counters.torn_writes;
    total.lost_operations += counters.lost_operations;
  }
  // Every fault fired, so every path was compared.
  EXPECT_GT(total.write_errors, 0);
  EXPECT_GT(total.disk_full_errors, 0);
  EXPECT_GT(total.sync_failures, 0);
  EXPECT_GT(total.read_corruptions, 0);
  EXPECT_GT(total.latency_spikes, 0);
  EXPECT_GT(total.torn_writes, 0);
  EXPECT_GT(total.lost_operations, 0);
}

}  // namespace
}  // namespace kv::storage
