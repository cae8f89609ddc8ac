#include "sim/kvsim/posix_sweep_progress.h"

#include <unistd.h>

#include <cstdio>

#include "node/backend/host.h"

namespace kv::sim {
namespace {

double WallSeconds() { return backend::HostMonotonicSeconds(); }

}  // namespace

SweepProgress::SweepProgress(uint64_t total)
    : total_(total), terminal_(isatty(STDERR_FILENO) == 1), start_seconds_(WallSeconds()) {}

void SweepProgress::Update(uint64_t done, uint64_t failures) {
  const double elapsed = WallSeconds() - start_seconds_;
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const double left = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
  if (terminal_) {
    std::fprintf(stderr, "\r[%llu/%llu] failures %llu  %.1f seeds/s  %.0fs left   ",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 static_cast<unsigned long long>(failures), rate, left);
  } else if (done >= next_plain_line_) {
    std::fprintf(stderr, "progress: %llu/%llu seeds, %llu failures, %.1f seeds/s, %.0fs left\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 static_cast<unsigned long long>(failures), rate, left);
    next_plain_line_ = done + (total_ / 10 > 0 ? total_ / 10 : 1);
  }
  std::fflush(stderr);
}

void SweepProgress::Finish() {
  if (terminal_) std::fprintf(stderr, "\n");
}

}  // namespace kv::sim
