#pragma once
// RunCandidateInChild: runs one scenario in a forked child process, so that
// a run that fails an invariant check (which aborts) is reported as a crash
// instead of ending the caller. Layer: sim (the kvsim binary's process
// driver; not simulated code). Used by `kvsim shrink`.

#include "sim/scenario/shrinker.h"

namespace kv::sim {

// Forks, runs `scenario` in the child (RunCandidateInProcess) and returns
// what it reported; a child that dies is a failure with the category "crash
// at FILE:LINE" taken from the failed check's message (or "crash").
scenario::CandidateOutcome RunCandidateInChild(const KvScenario& scenario);

// The category for a run that died, from its stderr: "crash at FILE:LINE"
// (FILE without its directories) if a failed check is named, else "crash".
std::string CrashCategory(const std::string& output);

}  // namespace kv::sim
