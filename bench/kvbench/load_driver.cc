#include "bench/kvbench/load_driver.h"

#include <cstdio>

#include "absl/strings/str_format.h"

namespace kv::bench {
namespace {

constexpr env::DurationNs kProgressIntervalNs = env::kSecond;
// A slot whose request failed waits this long before its next one, so a
// closed loop against a dead server does not spin.
constexpr env::DurationNs kErrorPauseNs = 10 * env::kMillisecond;

env::DurationNs Seconds(double s) { return static_cast<env::DurationNs>(s * 1e9); }

}  // namespace

LoadDriver::LoadDriver(backend::EventLoop& loop, Target& target, const KvbenchOptions& options)
    : loop_(loop),
      target_(target),
      options_(options),
      keys_(options.keys, options.distribution, options.zipf_theta, options.key_bytes),
      random_(options.seed) {
  // One value for every write: its bytes do not matter to the stores, its
  // size does. Printable, so it reads well in redis-cli.
  value_.resize(static_cast<size_t>(options.value_bytes));
  for (char& c : value_) c = static_cast<char>('a' + random_.Uniform(26));
}

RunResult LoadDriver::Run(absl::AnyInvocable<void()> on_measure_start,
                          absl::AnyInvocable<void()> on_measure_end) {
  run_start_ns_ = loop_.NowNs();
  if (options_.preload) RunPreload();

  const int64_t start = loop_.NowNs();
  measure_start_ns_ = start + Seconds(options_.warmup_s);
  measure_end_ns_ = measure_start_ns_ + Seconds(options_.duration_s);
  phase_ = options_.warmup_s > 0 ? Phase::kWarmup : Phase::kMeasure;
  if (phase_ == Phase::kMeasure) on_measure_start();
  bool measure_started = phase_ == Phase::kMeasure;
  loop_.After(measure_start_ns_ - start, [&] {
    if (!measure_started) {
      measure_started = true;
      phase_ = Phase::kMeasure;
      on_measure_start();
    }
  });
  loop_.After(measure_end_ns_ - start, [&] {
    phase_ = Phase::kDrain;
    on_measure_end();
    result_.unsent = backlog_.size();
    backlog_.clear();
  });
  loop_.After(kProgressIntervalNs, [this] { Progress(); });

  for (int slot = target_.slot_count() - 1; slot >= 0; --slot) free_slots_.push_back(slot);
  if (options_.rate > 0) {
    schedule_ = std::make_unique<OpenLoopSchedule>(start, options_.rate);
    Pace();
  } else {
    std::vector<int> slots;
    slots.swap(free_slots_);
    for (auto it = slots.rbegin(); it != slots.rend(); ++it) StartNext(*it);
  }
  // Run the window, then drain what is in flight, bounded by the timeout.
  loop_.RunUntil([&] { return phase_ == Phase::kDrain; },
                 measure_end_ns_ - loop_.NowNs() + env::kSecond);
  const env::DurationNs drain_ns = options_.timeout_ms * env::kMillisecond + env::kSecond;
  result_.drained = loop_.RunUntil([&] { return in_flight_ == 0; }, drain_ns);
  phase_ = Phase::kDone;
  result_.measured_seconds = options_.duration_s;
  return std::move(result_);
}

void LoadDriver::RunPreload() {
  phase_ = Phase::kPreload;
  if (options_.progress) {
    std::fprintf(stderr, "kvbench: preloading %llu keys\n", static_cast<unsigned long long>(options_.keys));
  }
  // Each slot writes the next unwritten key until all are written; a failed
  // write is counted and not retried (the run reports it).
  auto next = std::make_shared<absl::AnyInvocable<void(int)>>();
  *next = [this, next](int slot) {
    if (preload_next_ >= options_.keys) return;
    const uint64_t index = preload_next_++;
    ++preload_pending_;
    target_.Issue(slot, OpType::kPut, keys_.KeyAt(index), value_, [this, next, slot](Outcome outcome) {
      --preload_pending_;
      if (outcome == Outcome::kOk) {
        ++result_.preloaded_keys;
      } else {
        ++result_.preload_failures;
      }
      loop_.Post([next, slot] {
        if (*next) (*next)(slot);
      });
    });
  };
  for (int slot = 0; slot < target_.slot_count(); ++slot) (*next)(slot);
  // Bounded: at least a minute, or ten times what 1,000 writes/s would take.
  const env::DurationNs bound = std::max<env::DurationNs>(60 * env::kSecond,
                                                          static_cast<env::DurationNs>(options_.keys) * 10 * env::kMillisecond);
  loop_.RunUntil([&] { return preload_pending_ == 0 && preload_next_ >= options_.keys; }, bound);
  *next = nullptr;  // Break the self-reference.
}

void LoadDriver::StartNext(int slot) {
  if (phase_ == Phase::kDrain || phase_ == Phase::kDone) return;
  if (schedule_ != nullptr) {
    if (backlog_.empty()) {
      free_slots_.push_back(slot);
      return;
    }
    const int64_t intended = backlog_.front();
    backlog_.pop_front();
    const OpType op = random_.Uniform(100) < static_cast<uint64_t>(options_.read_percent) ? OpType::kGet : OpType::kPut;
    return Send(slot, op, intended);
  }
  const OpType op = random_.Uniform(100) < static_cast<uint64_t>(options_.read_percent) ? OpType::kGet : OpType::kPut;
  Send(slot, op, loop_.NowNs());
}

void LoadDriver::Send(int slot, OpType op, int64_t start_ns) {
  ++in_flight_;
  const std::string key = keys_.KeyAt(keys_.NextIndex(random_));
  Request request{op, start_ns};
  target_.Issue(slot, op, key, value_, [this, slot, request](Outcome outcome) { OnDone(slot, request, outcome); });
}

void LoadDriver::OnDone(int slot, Request request, Outcome outcome) {
  --in_flight_;
  const int64_t now = loop_.NowNs();
  const bool failed = outcome == Outcome::kError || outcome == Outcome::kTimeout;
  if (failed) {
    ++interval_failures_;
  } else {
    interval_latency_ns_.Record(now - request.start_ns);
  }
  if (request.start_ns >= measure_start_ns_ && request.start_ns < measure_end_ns_) {
    OpStats& stats = result_.ops[static_cast<int>(request.op)];
    switch (outcome) {
      case Outcome::kOk: ++stats.ok; break;
      case Outcome::kNotFound: ++stats.not_found; break;
      case Outcome::kError: ++stats.errors; break;
      case Outcome::kTimeout: ++stats.timeouts; break;
    }
    if (!failed) stats.latency_ns.Record(now - request.start_ns);
  }
  // The next request starts on a fresh task, never inside the target's
  // callback (which may be inside Issue).
  if (failed) {
    loop_.After(kErrorPauseNs, [this, slot] { StartNext(slot); });
  } else {
    loop_.Post([this, slot] { StartNext(slot); });
  }
}

void LoadDriver::Pace() {
  if (phase_ == Phase::kDrain || phase_ == Phase::kDone) return;
  const int64_t now = loop_.NowNs();
  due_scratch_.clear();
  // Requests due while we were busy keep their own intended times.
  schedule_->TakeDue(std::min(now, measure_end_ns_ - 1), due_scratch_);
  backlog_.insert(backlog_.end(), due_scratch_.begin(), due_scratch_.end());
  while (!backlog_.empty() && !free_slots_.empty()) {
    const int slot = free_slots_.back();
    free_slots_.pop_back();
    StartNext(slot);
  }
  const int64_t next_due = schedule_->NextDueNs();
  if (next_due >= measure_end_ns_) return;
  loop_.After(next_due - now, [this] { Pace(); });
}

void LoadDriver::Progress() {
  if (phase_ == Phase::kDone) return;
  if (options_.progress) {
    const double elapsed = static_cast<double>(loop_.NowNs() - run_start_ns_) / 1e9;
    const char* phase = phase_ == Phase::kWarmup ? "warm-up" : phase_ == Phase::kMeasure ? "measure" : "drain";
    std::fprintf(stderr, "kvbench: [%5.1fs %-7s] %8llu ops/s  p50 %.3f ms  p99 %.3f ms  failed %llu  in flight %lld%s\n",
                 elapsed, phase, static_cast<unsigned long long>(interval_latency_ns_.count()),
                 static_cast<double>(interval_latency_ns_.ValueAtQuantile(0.5)) / 1e6,
                 static_cast<double>(interval_latency_ns_.ValueAtQuantile(0.99)) / 1e6,
                 static_cast<unsigned long long>(interval_failures_), static_cast<long long>(in_flight_),
                 schedule_ != nullptr ? absl::StrFormat("  backlog %u", backlog_.size()).c_str() : "");
  }
  interval_latency_ns_.Reset();
  interval_failures_ = 0;
  loop_.After(kProgressIntervalNs, [this] { Progress(); });
}

}  // namespace kv::bench
