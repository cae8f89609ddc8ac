#include "bench/kvbench/key_chooser.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::bench {

ZipfianGenerator::ZipfianGenerator(uint64_t n, double theta) : n_(n), theta_(theta) {
  KV_CHECK_GE(n, 1u);
  KV_CHECK(theta > 0 && theta < 1);
  double zeta = 0;
  for (uint64_t i = 1; i <= n; ++i) zeta += 1.0 / std::pow(static_cast<double>(i), theta);
  zeta_n_ = zeta;
  const double zeta_2 = 1.0 + 1.0 / std::pow(2.0, theta);
  alpha_ = 1.0 / (1.0 - theta);
  eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta_2 / zeta_n_);
  half_pow_theta_ = std::pow(0.5, theta);
}

uint64_t ZipfianGenerator::Next(env::Random& random) const {
  const double u = random.NextDouble();
  const double uz = u * zeta_n_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + half_pow_theta_) return n_ > 1 ? 1 : 0;
  const auto rank = static_cast<uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return rank < n_ ? rank : n_ - 1;
}

KeyChooser::KeyChooser(uint64_t key_count, KeyDistribution distribution, double zipf_theta,
                       int key_bytes)
    : key_count_(key_count),
      distribution_(distribution),
      // The zeta sum is only needed (and only paid for) for zipfian runs.
      zipf_(distribution == KeyDistribution::kZipfian ? key_count : 1, zipf_theta),
      key_bytes_(key_bytes) {
  KV_CHECK_GE(key_count, 1u);
}

uint64_t KeyChooser::NextIndex(env::Random& random) const {
  if (distribution_ == KeyDistribution::kUniform) return random.Uniform(key_count_);
  const uint64_t rank = zipf_.Next(random);
  return env::Mix64(rank, 0x6b657962656e6368ULL) % key_count_;
}

std::string KeyChooser::KeyAt(uint64_t index) const {
  std::string digits = absl::StrCat(index);
  const int pad = key_bytes_ - 1 - static_cast<int>(digits.size());
  if (pad < 0) return absl::StrCat("k", digits);
  return absl::StrCat("k", std::string(static_cast<size_t>(pad), '0'), digits);
}

}  // namespace kv::bench
