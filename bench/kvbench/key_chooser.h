#pragma once
// Key choice for kvbench workloads: uniform, or zipfian (a few hot keys,
// a long tail), drawn from a seeded env::Random so that a run's key sequence
// is reproducible. Layer: bench.

#include <cstdint>
#include <string>

#include "node/env/random.h"

namespace kv::bench {

// Zipfian ranks in [0, n): rank r is drawn with probability proportional to
// 1 / (r + 1)^theta. The algorithm of Gray et al., "Quickly generating
// billion-record synthetic databases" (SIGMOD 1994), as YCSB uses it:
// O(n) set-up (the zeta sum), O(1) per draw.
class ZipfianGenerator {
 public:
  // Preconditions: n >= 1, 0 < theta < 1.
  ZipfianGenerator(uint64_t n, double theta);
  uint64_t Next(env::Random& random) const;
  uint64_t n() const { return n_; }

 private:
  uint64_t n_;
  double theta_;
  double zeta_n_;
  double alpha_;
  double eta_;
  double half_pow_theta_;
};

enum class KeyDistribution { kUniform, kZipfian };

// Picks key indexes in [0, key_count) and formats them as keys of a fixed
// size ("k" then the zero-padded index, or the index in base 10 when
// key_bytes is too small to pad).
class KeyChooser {
 public:
  KeyChooser(uint64_t key_count, KeyDistribution distribution, double zipf_theta, int key_bytes);

  // The index of the next key. Zipfian ranks are scattered over the key
  // space by a fixed hash, so the hot keys do not all share one shard.
  uint64_t NextIndex(env::Random& random) const;
  // The key with index `index`.
  std::string KeyAt(uint64_t index) const;

  uint64_t key_count() const { return key_count_; }

 private:
  uint64_t key_count_;
  KeyDistribution distribution_;
  ZipfianGenerator zipf_;
  int key_bytes_;
};

}  // namespace kv::bench
