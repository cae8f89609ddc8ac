#pragma once
// The scenario-file side of kvsim: `run --scenario F`, `run --seed S
// --print-scenario` and `shrink`. Layer: sim (binary). kvsim_main.cc parses
// the flags and calls these; each returns the process exit status
// (0 pass, 1 a check failed, 2 bad usage or a bad file).

#include <string>

#include "sim/cluster/kv_scenario.h"

namespace kv::sim {

// Reads, validates and runs the scenario file at `path`, printing what
// `run --seed` prints. A file that cannot be read or is invalid: a message
// naming file, line and field on stderr, exit status 2.
int RunScenarioFileCommand(const std::string& path);

// Prints the scenario that `run` with `options` would run, as a file.
int PrintScenarioCommand(const KvScenarioOptions& options);

struct ShrinkCommandOptions {
  std::string out_path;  // Also write the shrunk scenario here ("" = no).
  int max_attempts = 200;
};

// Shrinks `original` (running each candidate in a child process), printing
// progress on stderr and the shrunk scenario file on stdout, followed by
// the command that replays it. Exit status: 0 if `original` passes (nothing
// to shrink), 1 if it fails (the shrunk scenario fails the same check), 2 if
// --out cannot be written.
int ShrinkCommand(const KvScenario& original, const ShrinkCommandOptions& options);

}  // namespace kv::sim
