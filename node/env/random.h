#pragma once
// Random: a seeded, reproducible stream of random numbers. Layer: node/env.
//
// Everything the simulator drives draws randomness only from a Random it was
// handed. The generator (xoshiro256**, seeded through splitmix64) and every
// range reduction are fixed here, so a seed gives the same draws with any
// compiler, standard library or machine. std::*_distribution and absl::BitGen
// are banned in simulated code because neither guarantees that.
//
// Streams are derived, not shared: Derive(stream_id) returns a new generator
// whose seed depends only on this generator's *seed* and the id, never on how
// many numbers were drawn. So the simulator can hand node 3, link (1,2), the
// fault planner and the workload their own streams, and adding a consumer
// does not shift anybody else's draws.
//
// The draws sit on the simulator's hottest path (every message draws its
// fate and delay), so Next64, Uniform, UniformRange and Chance are inline.

#include <array>
#include <cstdint>

namespace kv::env {

// splitmix64 step: a good 64-bit mixer, used for seeding and stream ids.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Mixes two 64-bit values into one; used to name derived streams and to fold
// values into digests. Not cryptographic.
inline uint64_t Mix64(uint64_t a, uint64_t b) {
  uint64_t state = a ^ (b * 0xd6e8feb86659fd93ULL);
  return SplitMix64(state);
}

// Folds `value` into the running digest `state`. Order-sensitive, and a
// bijection in each argument while the other is fixed, so two sequences
// that differ in one value only always end in different digests. Not a
// hash (Mix64 is one): the draw tally folds once per draw and the run
// digest once per event, where Mix64's three multiplies cost about 3% of
// a KV run's instructions; this takes one.
inline uint64_t FoldDigest64(uint64_t state, uint64_t value) {
  const uint64_t product = (state ^ value) * 0x9e3779b97f4a7c15ULL;
  return product ^ (product >> 32);
}

// A running tally of every 64-bit draw made by a family of generators (a
// root and everything derived from it): how many, and an order-sensitive
// digest of their values. The simulator compares tallies between two runs of
// one seed, so a draw that differs is caught even when it changes no event.
struct DrawTally {
  uint64_t draws = 0;
  uint64_t digest = 0;
};

class Random {
 public:
  // A generator fully determined by `seed`.
  explicit Random(uint64_t seed);

  // The seed this generator was built from.
  uint64_t seed() const { return seed_; }

  // Folds every later draw of this generator, and of generators derived from
  // it afterwards, into `*tally`, which must outlive them all. Null stops it.
  void TallyDrawsInto(DrawTally* tally) { tally_ = tally; }

  // A new, independent stream named by `stream_id`. Depends only on seed()
  // and `stream_id`, not on draws made from this generator. It reports to
  // the same DrawTally as this one.
  Random Derive(uint64_t stream_id) const;

  // A uniformly distributed 64-bit value.
  uint64_t Next64() {
    // xoshiro256** on local copies of the state, folded into the tally
    // before the state is stored back: a store to the tally might alias this
    // generator's fields (they are all uint64_t), so with the tally updated
    // last the next draw had to reload the state, where now it can reuse
    // the values it just stored (several draws run back to back per message).
    uint64_t s0 = state_[0];
    uint64_t s1 = state_[1];
    uint64_t s2 = state_[2];
    uint64_t s3 = state_[3];
    const uint64_t result = RotateLeft(s1 * 5, 7) * 9;
    const uint64_t t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = RotateLeft(s3, 45);
    if (tally_ != nullptr) {
      ++tally_->draws;
      tally_->digest = FoldDigest64(tally_->digest, result);
    }
    state_[0] = s0;
    state_[1] = s1;
    state_[2] = s2;
    state_[3] = s3;
    return result;
  }

  // Uniform in [0, bound). Precondition: bound > 0. Unbiased (Lemire's
  // multiply-and-reject method).
  uint64_t Uniform(uint64_t bound) {
    if (bound == 0) [[unlikely]] UniformBoundIsZero();
    // Lemire, "Fast Random Integer Generation in an Interval" (2019). The
    // first draw is accepted unless its low half falls below `bound`, which
    // for the simulator's bounds (up to millions) almost never happens; the
    // rejection loop stays out of line so that callers inline this.
    const unsigned __int128 product = static_cast<unsigned __int128>(Next64()) * bound;
    if (static_cast<uint64_t>(product) < bound) [[unlikely]] {
      return UniformSlow(bound, static_cast<uint64_t>(product), static_cast<uint64_t>(product >> 64));
    }
    return static_cast<uint64_t>(product >> 64);
  }

  // Uniform in [low, high], both inclusive. Precondition: low <= high.
  int64_t UniformRange(int64_t low, int64_t high) {
    if (low > high) [[unlikely]] UniformRangeIsEmpty(low, high);
    const uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
    if (span == UINT64_MAX) return static_cast<int64_t>(Next64());
    return static_cast<int64_t>(static_cast<uint64_t>(low) + Uniform(span + 1));
  }

  // True with probability numerator / denominator, decided in integers.
  // Precondition: denominator > 0 and 0 <= numerator.
  bool Chance(uint64_t numerator, uint64_t denominator) {
    if (denominator == 0) [[unlikely]] ChanceDenominatorIsZero();
    if (numerator == 0) return false;
    if (numerator >= denominator) return true;
    return Uniform(denominator) < numerator;
  }

  // True with probability parts_per_million / 1e6.
  bool ChancePpm(uint32_t parts_per_million) { return Chance(parts_per_million, 1'000'000); }

  // Uniform double in [0, 1), 53 bits. For reports and for shaping latency
  // tails; decisions that must be exact should use integer draws.
  double NextDouble();

  // An exponentially distributed integer with the given mean, computed from a
  // fixed formula (inverse CDF over NextDouble, capped at 50x the mean).
  // Precondition: mean >= 0.
  int64_t Exponential(int64_t mean);

 private:
  static uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  // Uniform's rare path: the first draw's low half `low` (with high half
  // `high`) may be biased; rejects while below the threshold.
  uint64_t UniformSlow(uint64_t bound, uint64_t low, uint64_t high);
  // Fail the preconditions (out of line: the checks' messages are bulky).
  [[noreturn]] static void UniformBoundIsZero();
  [[noreturn]] static void ChanceDenominatorIsZero();
  [[noreturn]] static void UniformRangeIsEmpty(int64_t low, int64_t high);

  uint64_t seed_;
  DrawTally* tally_ = nullptr;
  std::array<uint64_t, 4> state_;
};

}  // namespace kv::env
