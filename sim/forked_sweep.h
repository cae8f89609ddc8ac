#pragma once
// RunSeedsInForkedWorkers: runs a sweep's seeds in worker processes forked
// from the sweep, handing each worker its next seed as it finishes one, and
// starts a fresh worker after one that dies. Layer: sim (a process driver for
// `kvsim sweep` and `kvsim raft-sweep`; not simulated code, so it may fork).
//
// Why workers rather than a process per seed: a seed that fails an invariant
// check aborts, and must fail alone instead of ending the sweep; but a fresh
// process per seed pays its start and its heap's page faults every time
// (about 12 ms a seed, 30% of a default seed's run). A worker keeps its heap
// warm across seeds, and a crash costs only a new fork.

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

// Runs `run_seed` for every seed in `jobs` (>= 1) workers forked from this
// process, which must be single-threaded, and calls `on_done` in this
// process as each seed finishes: in seed order with one job, in completion
// order with more. `run_seed` fills `passed`, `digest`, `failure` and
// `report`. Once `on_done` returns false the workers are stopped and no
// further seed is reported.
void RunSeedsInForkedWorkers(const std::vector<uint64_t>& seeds, int jobs,
                             const std::function<WorkerSeedResult(uint64_t)>& run_seed,
                             const std::function<bool(const WorkerSeedResult&)>& on_done);

}  // namespace kv::sim
