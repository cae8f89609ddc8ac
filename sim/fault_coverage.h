#pragma once
// FaultCoverage: what a sweep's faults did, over all its seeds. Layer: sim
// (kvsim sweep's and raft-sweep's driver; reads run reports, runs nothing).
//
// Each run reports the faults it planned and how often each fired; a fault
// that never fires is a false green (issue 6). Over a sweep the question is
// the same at a larger scale: in how many seeds was each kind planned, in how
// many did it fire, how often, and did any kind never fire in any seed.

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace kv::sim {

class FaultCoverage {
 public:
  // Adds one run, from its report: the lines "disk faults ppm: ...",
  // "faults fired: ...", "disk faults fired: ..." and "buggify (...): ..."
  // (kvsim run's and kvsim raft's format; "kind=fired/planned" counts only,
  // so the Raft nemesis's bare counts are left out; a buggify site counts as
  // planned when it is on); the other lines are ignored, and a report
  // without them adds a run that planned nothing.
  void AddRun(absl::string_view report);

  // "faults over N seeds (seeds fired/planned, times fired): crash 9/9 x12,
  // ..." in a fixed order (timed kinds in faults::FaultKind order, then the
  // disk's, then buggify sites by name), or "" if no run planned any fault.
  std::string ToString() const;
  // The kinds some seed planned but no seed fired, space-separated; "" if none.
  std::string NeverFiredToString() const;
  // What a sweep prints at its end: ToString() and, when some kind never
  // fired, "faults planned but never fired in any seed: ..." as a second
  // line; each line ends in '\n'; "" if no run planned any fault.
  std::string SummaryLines() const;

 private:
  struct Kind {
    uint64_t planned_seeds = 0;
    uint64_t fired_seeds = 0;
    uint64_t times = 0;
  };
  // Where `name` goes in the fixed order.
  static int Rank(const std::string& name);
  void Add(const std::string& name, bool planned, uint64_t fired);

  uint64_t runs_ = 0;
  std::map<std::string, Kind> kinds_;
};

}  // namespace kv::sim
