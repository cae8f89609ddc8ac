#pragma once
// LoadDriver: runs a kvbench workload against a Target on the event loop:
// optional preload, warm-up (not recorded), the measured window, then a
// bounded drain of requests still in flight. Closed loop: every slot sends
// its next request as soon as the previous one is answered. Open loop
// (options.rate > 0): requests are due on an OpenLoopSchedule, handed to
// free slots in order, and timed from their intended send time. Layer: bench.

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "bench/kvbench/key_chooser.h"
#include "bench/kvbench/kvbench_options.h"
#include "bench/kvbench/latency_histogram.h"
#include "bench/kvbench/open_loop_schedule.h"
#include "bench/kvbench/target.h"
#include "node/backend/event_loop.h"
#include "node/env/random.h"

namespace kv::bench {

struct OpStats {
  LatencyHistogram latency_ns;  // Successful requests (OK and not found).
  uint64_t ok = 0;
  uint64_t not_found = 0;
  uint64_t errors = 0;
  uint64_t timeouts = 0;
};

struct RunResult {
  std::array<OpStats, kOpTypeCount> ops;
  double measured_seconds = 0;
  uint64_t preloaded_keys = 0;
  uint64_t preload_failures = 0;
  // Open loop: requests due in the window that were never sent because the
  // run ended first (the backlog at the end).
  uint64_t unsent = 0;
  bool drained = true;  // Every request in flight at the end was answered.
};

class LoadDriver {
 public:
  // Every reference must outlive the driver.
  LoadDriver(backend::EventLoop& loop, Target& target, const KvbenchOptions& options);

  // Runs every phase; `on_measure_start` / `on_measure_end` run at the
  // window's edges (the caller samples the servers there).
  RunResult Run(absl::AnyInvocable<void()> on_measure_start, absl::AnyInvocable<void()> on_measure_end);

 private:
  enum class Phase { kPreload, kWarmup, kMeasure, kDrain, kDone };
  struct Request {
    OpType op;
    int64_t start_ns;  // Intended (open loop) or actual (closed loop) send time.
  };

  void RunPreload();
  void StartNext(int slot);
  void Send(int slot, OpType op, int64_t start_ns);
  void OnDone(int slot, Request request, Outcome outcome);
  void Pace();
  void Progress();
  int64_t in_flight() const { return in_flight_; }

  backend::EventLoop& loop_;
  Target& target_;
  const KvbenchOptions& options_;
  KeyChooser keys_;
  env::Random random_;
  std::string value_;
  Phase phase_ = Phase::kWarmup;
  int64_t measure_start_ns_ = 0;
  int64_t measure_end_ns_ = 0;
  int64_t run_start_ns_ = 0;
  int64_t in_flight_ = 0;
  std::vector<int> free_slots_;
  // Open loop.
  std::unique_ptr<OpenLoopSchedule> schedule_;
  std::deque<int64_t> backlog_;  // Intended send times of due, unsent requests.
  std::vector<int64_t> due_scratch_;
  // Preload.
  uint64_t preload_next_ = 0;
  int64_t preload_pending_ = 0;
  RunResult result_;
  // Progress: what completed in the current second.
  LatencyHistogram interval_latency_ns_;
  uint64_t interval_failures_ = 0;
};

}  // namespace kv::bench
