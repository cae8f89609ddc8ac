#pragma once
// Shrinker: reduces a failing KvScenario to a smaller one that still fails
// the same check (issue 6, "shrinking"). Layer: sim (tooling; it runs
// scenarios, it is not simulated code).
//
// Greedy and deterministic: it tries one smaller candidate at a time and
// keeps it if the run still fails with the original failure's category
// (KvFailureCategory, or "crash at FILE:LINE" for a failed invariant check).
// Passes, repeated while any of them makes progress: remove fault events
// (chunks of half, a quarter, ... then single events, as in delta
// debugging), fewer clients, fewer servers (a server's events go with it and
// higher ids move down), fewer shards, a shorter fault phase (events past its
// end go), fewer operations per client, and network/disk/clock fault rates
// and buggify set to zero/off. The number of runs is bounded, so it always ends.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/cluster/kv_scenario.h"

namespace kv::scenario {

// What one candidate run reported.
struct CandidateOutcome {
  bool failed = false;
  // The failure categories, in the order the failures were reported; the
  // first one is "the" failure. For a run that died: one entry, "crash at
  // FILE:LINE" (or "crash" if the failed check is not known).
  std::vector<std::string> categories;
  std::string first_failure;  // The first failure line, for messages.
  uint64_t digest = 0;
  uint64_t max_client_ops = 0;
};

// Runs a scenario (valid per ValidateScenario) and reports. Must be
// deterministic: the same scenario gives the same outcome.
using CandidateRunner = std::function<CandidateOutcome(const sim::KvScenario&)>;

// The outcome of RunKvScenario(scenario) as a CandidateOutcome, in this
// process (a failed invariant check aborts it).
CandidateOutcome RunCandidateInProcess(const sim::KvScenario& scenario);

struct ShrinkOptions {
  int max_attempts = 200;  // Runs, counting the first one.
  // Called with one line per attempt ("attempt 7: removed fault events
  // 3..5 of 12: still fails (linearizability)"); may be empty.
  std::function<void(const std::string&)> progress;
};

struct ShrinkResult {
  bool original_failed = false;
  CandidateOutcome original;
  std::string category;   // The category kept fixed; empty if it passed.
  sim::KvScenario scenario;  // The smallest failing scenario found.
  CandidateOutcome outcome;  // Its outcome.
  int attempts = 0;          // Runs made, including the first.
  int accepted = 0;          // Candidates kept.
};

ShrinkResult Shrink(const sim::KvScenario& original, const CandidateRunner& run, const ShrinkOptions& options);

// Building blocks, exposed for tests. Each returns a scenario that may be
// invalid (the shrinker skips those without running them).
sim::KvScenario WithoutEvents(const sim::KvScenario& s, size_t begin, size_t end);
// Removes server `server`: its clock, events that only concern it, it from
// partition groups (an event left without a side goes); ids above it move
// down; the replication factor is capped at the new server count.
sim::KvScenario WithoutServer(const sim::KvScenario& s, env::NodeId server);
// A fault phase of `fault_phase_ns`; events at or after its end go.
sim::KvScenario WithFaultPhase(const sim::KvScenario& s, env::DurationNs fault_phase_ns);

}  // namespace kv::scenario
