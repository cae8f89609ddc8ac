#include "node/env/random.h"

#include <cmath>

#include "node/env/check.h"

namespace kv::env {
namespace {

inline uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

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

uint64_t Random::Next64() {
  ++draw_count_;
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  if (tally_ != nullptr) {
    ++tally_->draws;
    tally_->digest = Mix64(tally_->digest, result);
  }
  return result;
}

uint64_t Random::Uniform(uint64_t bound) {
  KV_CHECK_GT(bound, 0u);
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  unsigned __int128 product = static_cast<unsigned __int128>(Next64()) * bound;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<unsigned __int128>(Next64()) * bound;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

int64_t Random::UniformRange(int64_t low, int64_t high) {
  KV_CHECK_LE(low, high);
  const uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  if (span == UINT64_MAX) return static_cast<int64_t>(Next64());
  return static_cast<int64_t>(static_cast<uint64_t>(low) + Uniform(span + 1));
}

bool Random::Chance(uint64_t numerator, uint64_t denominator) {
  KV_CHECK_GT(denominator, 0u);
  if (numerator == 0) return false;
  if (numerator >= denominator) return true;
  return Uniform(denominator) < numerator;
}

double Random::NextDouble() {
  return static_cast<double>(Next64() >> 11) * 0x1.0p-53;
}

int64_t Random::Exponential(int64_t mean) {
  KV_CHECK_GE(mean, 0);
  if (mean == 0) return 0;
  // -ln(1 - u) with u in [0, 1) is finite; std::log is correctly rounded
  // enough on glibc that the simulator's digests are stable across our
  // machines (all run the same libm).
  const double value = -std::log1p(-NextDouble()) * static_cast<double>(mean);
  const double cap = 50.0 * static_cast<double>(mean);
  return static_cast<int64_t>(value < cap ? value : cap);
}

}  // namespace kv::env
