#pragma once
// RunSeedsInForkedWorker: runs a sweep's seeds one after another in a forked
// worker process, and starts a fresh worker after one that dies. Layer: sim
// (a process driver for `kvsim sweep` and `kvsim raft-sweep`; not simulated
// code, so it may fork).
//
// Why a worker rather than a child per seed: a seed that fails an invariant
// check aborts, and must fail alone instead of ending the sweep; but a fresh
// process per seed pays its heap's page faults every time (about 12 ms a
// seed, 30% of a default seed's run). One worker keeps its heap warm across
// seeds, and a crash costs only a new fork.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kv::sim {

struct WorkerSeedResult {
  uint64_t seed = 0;
  bool passed = false;
  uint64_t digest = 0;  // passed only.
  // Not passed: the run's first failure, or how the worker died while
  // running this seed ("crashed with signal 6 (Aborted): <last line>").
  std::string failure;
  // The run's report, for the caller's tallies; empty if the worker died.
  std::string report;
};

// Runs `run_seed` for every seed in order (in a worker forked from this
// process, which must be single-threaded) and calls `on_done` in this
// process as each finishes. `run_seed` fills `passed`, `digest`, `failure`
// and `report`. Once `on_done` returns false the worker is stopped and no
// further seed is reported.
void RunSeedsInForkedWorker(const std::vector<uint64_t>& seeds,
                            const std::function<WorkerSeedResult(uint64_t)>& run_seed,
                            const std::function<bool(const WorkerSeedResult&)>& on_done);

}  // namespace kv::sim
