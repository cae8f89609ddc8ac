#include "node/env/random.h"

#include <cmath>

#include "node/env/check.h"

namespace kv::env {

Random::Random(uint64_t seed) : seed_(seed) {
  uint64_t sm = seed;
  for (auto& word : state_) word = SplitMix64(sm);
  // xoshiro's state must not be all zero; splitmix64 cannot yield four zeros
  // in a row, but keep the invariant explicit.
  KV_CHECK((state_[0] | state_[1] | state_[2] | state_[3]) != 0);
}

Random Random::Derive(uint64_t stream_id) const {
  Random derived(Mix64(seed_ ^ 0x5851f42d4c957f2dULL, stream_id));
  derived.tally_ = tally_;
  return derived;
}

uint64_t Random::UniformSlow(uint64_t bound, uint64_t low, uint64_t high) {
  // The rest of Lemire's method: `low < bound` only says that the draw may
  // be in the biased zone; it is rejected only below (2^64 - bound) % bound.
  const uint64_t threshold = (0 - bound) % bound;
  while (low < threshold) {
    const unsigned __int128 product = static_cast<unsigned __int128>(Next64()) * bound;
    low = static_cast<uint64_t>(product);
    high = static_cast<uint64_t>(product >> 64);
  }
  return high;
}

void Random::UniformBoundIsZero() { CheckFailed(__FILE__, __LINE__, "bound > 0", "0 vs 0"); }

void Random::ChanceDenominatorIsZero() {
  CheckFailed(__FILE__, __LINE__, "denominator > 0", "0 vs 0");
}

void Random::UniformRangeIsEmpty(int64_t low, int64_t high) {
  CheckFailed(__FILE__, __LINE__, "low <= high", check_internal::RenderPair(low, high));
}

double Random::NextDouble() {
  return static_cast<double>(Next64() >> 11) * 0x1.0p-53;
}

namespace {

// Exponential's precondition, failed out of line (as Uniform's are):
// rendering the check's values inline gave every call a 248-byte frame and
// four saved registers.
[[noreturn, gnu::noinline, gnu::cold]] void ExponentialMeanIsNegative(int64_t mean) {
  CheckFailed(__FILE__, __LINE__, "mean >= 0", check_internal::RenderPair(mean, 0));
}

}  // namespace

int64_t Random::Exponential(int64_t mean) {
  if (mean < 0) [[unlikely]] ExponentialMeanIsNegative(mean);
  if (mean == 0) return 0;
  // -ln(1 - u) with u in [0, 1) is finite; std::log is correctly rounded
  // enough on glibc that the simulator's digests are stable across our
  // machines (all run the same libm).
  const double value = -std::log1p(-NextDouble()) * static_cast<double>(mean);
  const double cap = 50.0 * static_cast<double>(mean);
  return static_cast<int64_t>(value < cap ? value : cap);
}

}  // namespace kv::env
