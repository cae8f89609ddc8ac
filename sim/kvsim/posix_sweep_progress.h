#pragma once
// SweepProgress: a sweep's progress on stderr. Layer: sim (the kvsim
// binary's process driver; it is not simulated code, so it may read the wall
// clock). The seeds themselves run in forked workers (sim/forked_sweep.h).

#include <cstdint>

namespace kv::sim {

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
