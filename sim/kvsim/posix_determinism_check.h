#pragma once
// The determinism check: `kvsim determinism --seeds A..B [--sample N]`.
// Layer: sim (the kvsim binary's process driver; not simulated code).
//
// Runs each chosen seed twice, each time in a fresh `kvsim run` process (so
// the two runs see different address layouts and heaps), with a trail of the
// run digest and the random-draw tally after every event. Identical trails
// pass; otherwise it reports the first event where the runs part, and the
// replay command to look at it.

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "sim/kvsim/flags.h"

namespace kv::sim {

// Runs the command; `args` are those after "determinism". `scenario_flags`
// are the run flags kvsim accepts (forwarded to each run), and
// `check_run_flags` judges their values as `kvsim run` would, before any
// run starts: a run that refused its flags would leave no trail, which
// read as a divergence. Returns the exit status: 0 every run repeated
// itself, 1 some did not, 2 bad usage.
int DeterminismCommand(const std::vector<std::string>& args,
                       const std::vector<std::string>& scenario_value_flags,
                       const std::vector<std::string>& scenario_bool_flags, const char* usage,
                       absl::FunctionRef<absl::Status(const Flags&)> check_run_flags);

}  // namespace kv::sim
