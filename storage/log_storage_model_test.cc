// Stateful property test (rc::state) of LogStorage against LogModel: random
// sequences of writes, snapshots, compactions, partial runs, restarts and
// crashes. After a crash the recovered log must equal the model after some
// prefix of the issued writes that includes every acknowledged one (the
// durability contract in log_storage.h). Runs against every backend, and on
// the simulated disk also with injected faults.

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "storage/testing/conformance_backends.h"
#include "storage/testing/log_model.h"
#include "storage/testing/rc_check.h"

namespace kv::storage {
namespace {

using testing::LogModel;
using testing::ReadModel;

// The system under test, and the record of what it must be able to recover.
template <typename Harness>
class LogSut {
 public:
  explicit LogSut(uint64_t seed, bool faults_on = false) : harness_(seed), faults_on_(faults_on) {
    Reopen();
    history_.push_back(Read());
  }

  const LogModel& Latest() const { return history_.back(); }
  Harness& harness() { return harness_; }

  // Starts an operation whose effect on the model is `apply`.
  void Issue(const std::function<void(LogStorage&, env::OnDone)>& start,
             const std::function<void(LogModel&)>& apply) {
    LogModel next = history_.back();
    apply(next);
    history_.push_back(std::move(next));
    const size_t ordinal = issued_++;
    start(*storage_, [this, ordinal](absl::Status status) {
      completions_.push_back(Completion{ordinal, std::move(status)});
    });
  }

  void Drain() {
    harness_.Drain();
    CheckCompletions();
    if (!faults_on_) {
      RC_ASSERT(completions_.size() == issued_);
      RC_ASSERT(Read() == Latest());
    }
  }

  void RunSome(int steps) {
    harness_.RunSome(steps);
    CheckCompletions();
  }

  // A crash (or, with `crash` false, a clean restart after draining).
  void Restart(bool crash) {
    if (!crash) harness_.Drain();
    CheckCompletions();
    storage_.reset();
    if (crash) harness_.Crash();
    Reopen();
    const LogModel recovered = Read();
    // Everything acknowledged must be there; beyond that, a prefix of the
    // unacknowledged writes in issue order may be.
    size_t first_candidate = acknowledged_;
    if (!crash && !faults_on_) first_candidate = history_.size() - 1;
    size_t found = history_.size();
    for (size_t k = first_candidate; k < history_.size() && found == history_.size(); ++k) {
      if (history_[k] == recovered) found = k;
    }
    if (found == history_.size()) {
      std::ostringstream message;
      message << "recovered " << recovered << "\nacknowledged: " << history_[acknowledged_]
              << "\nlatest issued: " << Latest() << "\n" << harness_.Describe();
      RC_FAIL(message.str());
    }
    if (crash) {
      // What a crash leaves is on the disk: the new durable baseline.
      history_ = {recovered};
    } else {
      // A clean restart may have read writes that are still only in the page
      // cache (a failed sync leaves them there), so a later crash may still
      // go back as far as the last acknowledged state.
      history_.erase(history_.begin() + static_cast<int64_t>(found) + 1, history_.end());
      history_.erase(history_.begin(), history_.begin() + static_cast<int64_t>(acknowledged_));
    }
    acknowledged_ = 0;
    ordinal_base_ = history_.size() - 1;
    issued_ = 0;
    completions_.clear();
    checked_completions_ = 0;
    saw_error_ = false;
  }

 private:
  struct Completion {
    size_t ordinal;
    absl::Status status;
  };

  // Completions arrive in issue order, and once one failed none succeeds:
  // an OK after an I/O failure could acknowledge a write a crash then loses.
  void CheckCompletions() {
    for (; checked_completions_ < completions_.size(); ++checked_completions_) {
      const Completion& completion = completions_[checked_completions_];
      RC_ASSERT(completion.ordinal == checked_completions_);
      if (completion.status.ok()) {
        RC_ASSERT(!saw_error_);
        acknowledged_ = ordinal_base_ + completion.ordinal + 1;
      } else {
        RC_ASSERT(faults_on_);
        saw_error_ = true;
      }
    }
  }

  void Reopen() {
    // Injected faults can fail an open (a write error while cutting a torn
    // tail, reads that never agree); a real node would retry its start too.
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      auto storage = harness_.OpenLog(1);
      if (storage.ok()) {
        storage_ = *std::move(storage);
        return;
      }
      // A corrupted read that happens to repeat can make recovery refuse to
      // start (kDataLoss); a restart reads again.
      RC_ASSERT(faults_on_);
    }
    RC_FAIL("could not reopen the log");
  }

  LogModel Read() {
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      auto model = ReadModel(*storage_);
      if (model.ok()) return *std::move(model);
      // Only a transient read corruption may fail a read, and it must be
      // reported as such, never returned as data.
      RC_ASSERT(faults_on_);
      RC_ASSERT(model.status().code() == absl::StatusCode::kDataLoss);
    }
    RC_FAIL("reads keep failing");
  }

  // A whole-log read touches every entry, so with 10% of reads corrupted it
  // fails often (each entry's retry can be hit too); retry generously.
  static constexpr int kAttempts = 200;

  Harness harness_;
  const bool faults_on_;
  std::unique_ptr<LogStorage> storage_;
  // The states the storage may be in, in issue order: history_.back() is
  // what reads see, and a crash may go back as far as acknowledged_.
  std::vector<LogModel> history_;
  size_t issued_ = 0;
  // Write number o since the restart leads to history_[ordinal_base_ + o + 1].
  size_t ordinal_base_ = 0;
  // Index in history_ of the last acknowledged state.
  size_t acknowledged_ = 0;
  std::vector<Completion> completions_;
  size_t checked_completions_ = 0;
  bool saw_error_ = false;
};

// Commands carry abstract parameters and resolve them against the latest
// issued state when they run, so the rapidcheck model needs no state.
struct Nothing {};

template <typename Harness>
using Command = rc::state::Command<Nothing, LogSut<Harness>>;

std::string Payload(uint64_t index, uint64_t term, size_t bytes) {
  return std::string(bytes, static_cast<char>('a' + (index * 7 + term) % 26)) +
         std::to_string(index);
}

template <typename Harness>
struct AppendEntries : Command<Harness> {
  uint64_t overlap = *rc::gen::inRange<uint64_t>(0, 4);
  uint64_t count = *rc::gen::inRange<uint64_t>(1, 5);
  uint64_t term_bump = *rc::gen::inRange<uint64_t>(0, 2);
  bool with_hard_state = *rc::gen::arbitrary<bool>();
  size_t payload_bytes = *rc::gen::inRange<size_t>(0, 40);

  void run(const Nothing&, LogSut<Harness>& sut) const override {
    const LogModel& latest = sut.Latest();
    const uint64_t floor = std::max(latest.base_index, latest.SnapshotIndex()) + 1;
    const uint64_t next = latest.LastIndex() + 1;
    const uint64_t first = std::max(next > overlap ? next - overlap : 1, floor);
    const uint64_t term = std::max(latest.TermAt(first - 1), latest.hard_state.term) + term_bump;
    LogWrite write;
    for (uint64_t i = 0; i < count; ++i) {
      write.entries.push_back(LogEntry{first + i, term, Payload(first + i, term, payload_bytes)});
    }
    if (with_hard_state) {
      write.hard_state =
          HardState{std::max(latest.hard_state.term, term), term % 3, latest.hard_state.commit + 1};
    }
    sut.Issue([write](LogStorage& storage, env::OnDone done) { storage.Write(write, std::move(done)); },
              [write](LogModel& model) { model.Write(write); });
  }
  void show(std::ostream& os) const override {
    os << "Append(overlap " << overlap << ", count " << count << ", term+" << term_bump
       << (with_hard_state ? ", hard state" : "") << ")";
  }
};

template <typename Harness>
struct SaveSnapshot : Command<Harness> {
  int mode = *rc::gen::inRange(0, 3);  // 0 local, 1 received ahead, 2 received conflicting.
  uint64_t offset = *rc::gen::inRange<uint64_t>(0, 5);
  size_t data_bytes = *rc::gen::inRange<size_t>(0, 3000);

  void run(const Nothing&, LogSut<Harness>& sut) const override {
    const LogModel& latest = sut.Latest();
    const uint64_t low = std::max(latest.base_index, latest.SnapshotIndex()) + 1;
    const uint64_t last = latest.LastIndex();
    SnapshotMetadata metadata;
    if (mode == 1) {
      metadata.index = last + 1 + offset;
      metadata.term = latest.TermAt(last) + 1;
    } else {
      if (low > last) return;  // Nothing a local or conflicting snapshot could cover.
      metadata.index = last - offset % (last - low + 1);
      metadata.term = latest.TermAt(metadata.index) + (mode == 2 ? 1 : 0);
    }
    metadata.config = "config@" + std::to_string(metadata.index);
    const LogSnapshot snapshot{metadata, std::string(data_bytes, static_cast<char>('A' + mode))};
    sut.Issue(
        [snapshot](LogStorage& storage, env::OnDone done) {
          storage.SaveSnapshot(snapshot, std::move(done));
        },
        [snapshot](LogModel& model) { model.SaveSnapshot(snapshot); });
  }
  void show(std::ostream& os) const override {
    os << "SaveSnapshot(mode " << mode << ", offset " << offset << ", " << data_bytes << " bytes)";
  }
};

template <typename Harness>
struct Compact : Command<Harness> {
  uint64_t back = *rc::gen::inRange<uint64_t>(0, 4);

  void run(const Nothing&, LogSut<Harness>& sut) const override {
    const LogModel& latest = sut.Latest();
    if (latest.SnapshotIndex() <= latest.base_index) return;
    const uint64_t index =
        latest.SnapshotIndex() - std::min(back, latest.SnapshotIndex() - latest.base_index - 1);
    sut.Issue([index](LogStorage& storage, env::OnDone done) { storage.Compact(index, std::move(done)); },
              [index](LogModel& model) { model.Compact(index); });
  }
  void show(std::ostream& os) const override { os << "Compact(back " << back << ")"; }
};

template <typename Harness>
struct RunAll : Command<Harness> {
  void run(const Nothing&, LogSut<Harness>& sut) const override { sut.Drain(); }
  void show(std::ostream& os) const override { os << "RunAll"; }
};

template <typename Harness>
struct RunSome : Command<Harness> {
  int steps = *rc::gen::inRange(1, 4);
  void run(const Nothing&, LogSut<Harness>& sut) const override { sut.RunSome(steps); }
  void show(std::ostream& os) const override { os << "RunSome(" << steps << ")"; }
};

template <typename Harness>
struct Crash : Command<Harness> {
  void run(const Nothing&, LogSut<Harness>& sut) const override { sut.Restart(/*crash=*/true); }
  void show(std::ostream& os) const override { os << "Crash"; }
};

template <typename Harness>
struct Restart : Command<Harness> {
  void run(const Nothing&, LogSut<Harness>& sut) const override { sut.Restart(/*crash=*/false); }
  void show(std::ostream& os) const override { os << "Restart"; }
};

template <typename Harness>
void RunModel(LogSut<Harness>& sut) {
  rc::state::check(Nothing{}, sut,
                   rc::state::gen::execOneOfWithArgs<
                       AppendEntries<Harness>, AppendEntries<Harness>, SaveSnapshot<Harness>,
                       Compact<Harness>, RunAll<Harness>, RunSome<Harness>, Crash<Harness>,
                       Restart<Harness>>());
  // Whatever happened, a final crash must still recover an allowed state.
  sut.Restart(/*crash=*/true);
}

template <typename Harness>
class LogStorageModelTest : public ::testing::Test {};
TYPED_TEST_SUITE(LogStorageModelTest, testing::ConformanceBackends, testing::BackendNames);

TYPED_TEST(LogStorageModelTest, RecoversAnAllowedStateAfterEveryCrash) {
  // RocksDB opens cost tens of milliseconds under ASan: fewer cases there.
  const int cases = TypeParam::kCrashLosesUnsynced ? 150 : 25;
  testing::CheckProperty(
      [] {
        LogSut<TypeParam> sut(*rc::gen::arbitrary<uint64_t>());
        RunModel(sut);
      },
      cases, TypeParam::kCrashLosesUnsynced ? 100 : 40);
}

TEST(SimLogStorageModelTest, NeverAcknowledgesAWriteItLosesUnderDiskFaults) {
  testing::CheckProperty(
      [] {
        LogSut<testing::SimHarness> sut(*rc::gen::arbitrary<uint64_t>(), /*faults_on=*/true);
        SimDiskFaults faults;
        faults.write_error_ppm = *rc::gen::element<uint32_t>(0, 20'000, 100'000);
        faults.sync_failure_ppm = *rc::gen::element<uint32_t>(0, 20'000, 100'000);
        faults.read_corruption_ppm = *rc::gen::element<uint32_t>(0, 20'000, 100'000);
        faults.disk_full_ppm = *rc::gen::element<uint32_t>(0, 20'000);
        faults.latency_spike_ppm = *rc::gen::element<uint32_t>(0, 100'000);
        sut.harness().disk().SetFaults(faults);
        RunModel(sut);
      },
      150);
}

}  // namespace
}  // namespace kv::storage
