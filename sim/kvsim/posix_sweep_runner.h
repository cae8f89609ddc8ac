#pragma once
// PosixSweepRunner: runs a sweep's seeds as separate `kvsim run` processes,
// several at once. Layer: sim (the kvsim binary's process driver; it is not
// simulated code, so it may use processes and the wall clock).
//
// Each seed runs in its own process, so a seed that crashes (a failed
// invariant check aborts) is reported as that seed's failure instead of
// ending the sweep, and N seeds use N cores.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kv::sim {

struct SeedOutcome {
  enum class Kind { kPass, kFail, kCrash };
  uint64_t seed = 0;
  Kind kind = Kind::kPass;
  std::string digest;   // As printed by the child; empty if it crashed.
  std::string failure;  // First "FAILURE:" line, or how the process died.
  std::string output;   // Everything the child printed (its run report).
};

// Runs `program run --seed S <run_arguments...>` for every seed, at most
// `jobs` (>= 1) at a time, and calls `on_done` in completion order. Once
// `on_done` returns false no new seed is started (running ones finish).
void RunSeedsInProcesses(const std::string& program, const std::vector<std::string>& run_arguments,
                         const std::vector<uint64_t>& seeds, int jobs,
                         const std::function<bool(const SeedOutcome&)>& on_done);

// Reports sweep progress on stderr: a self-overwriting status line on a
// terminal, a plain line every tenth of the sweep elsewhere.
class SweepProgress {
 public:
  explicit SweepProgress(uint64_t total);
  void Update(uint64_t done, uint64_t failures);
  void Finish();

 private:
  uint64_t total_;
  bool terminal_;
  double start_seconds_;
  uint64_t next_plain_line_ = 0;
};

}  // namespace kv::sim
