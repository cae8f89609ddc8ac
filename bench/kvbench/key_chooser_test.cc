#include "bench/kvbench/key_chooser.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace kv::bench {
namespace {

TEST(ZipfianGeneratorTest, FrequenciesFollowThePowerLaw) {
  const uint64_t n = 1000;
  const double theta = 0.99;
  ZipfianGenerator zipf(n, theta);
  env::Random random(1);
  std::vector<uint64_t> counts(n, 0);
  const int draws = 400000;
  for (int i = 0; i < draws; ++i) {
    const uint64_t r = zipf.Next(random);
    ASSERT_LT(r, n);
    ++counts[r];
  }
  // p(r) = (1/(r+1)^theta) / zeta(n): check the head against the formula.
  double zeta = 0;
  for (uint64_t i = 1; i <= n; ++i) zeta += 1.0 / std::pow(static_cast<double>(i), theta);
  // Ranks 0 and 1 are drawn exactly; beyond them the algorithm inverts an
  // approximation of the CDF, which is loose in the head (about 17 % high
  // at rank 2 for n = 1000) and close in the bulk.
  for (uint64_t r = 0; r < 20; ++r) {
    const double expected = draws / std::pow(static_cast<double>(r + 1), theta) / zeta;
    const double tolerance = r < 2 ? 0.05 : 0.25;
    EXPECT_NEAR(static_cast<double>(counts[r]), expected, tolerance * expected) << "rank " << r;
  }
  double expected_head = 0;
  for (uint64_t r = 0; r < n / 10; ++r) expected_head += draws / std::pow(static_cast<double>(r + 1), theta) / zeta;
  // Hot head, long tail: rank 0 is the most frequent, the top 10% of ranks
  // get most of the draws, and the tail is still visited.
  for (uint64_t r = 1; r < n; ++r) ASSERT_LE(counts[r], counts[0]);
  uint64_t head = 0;
  for (uint64_t r = 0; r < n / 10; ++r) head += counts[r];
  EXPECT_GT(head, draws / 2);
  EXPECT_NEAR(static_cast<double>(head), expected_head, 0.05 * expected_head);
  uint64_t tail = 0;
  for (uint64_t r = n / 2; r < n; ++r) tail += counts[r];
  EXPECT_GT(tail, 0u);
}

TEST(KeyChooserTest, UniformCoversTheKeySpaceEvenly) {
  KeyChooser keys(100, KeyDistribution::kUniform, 0.99, 16);
  env::Random random(3);
  std::vector<int> counts(100, 0);
  for (int i = 0; i < 100000; ++i) ++counts[keys.NextIndex(random)];
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
}

TEST(KeyChooserTest, ZipfianKeysAreSkewedAndInRange) {
  KeyChooser keys(10000, KeyDistribution::kZipfian, 0.99, 16);
  env::Random random(3);
  std::vector<int> counts(10000, 0);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t k = keys.NextIndex(random);
    ASSERT_LT(k, 10000u);
    ++counts[k];
  }
  int max = 0;
  for (int c : counts) max = std::max(max, c);
  EXPECT_GT(max, 100000 / 20);  // Uniform would give ~10 each.
}

TEST(KeyChooserTest, KeysHaveTheRequestedSize) {
  KeyChooser keys(1000, KeyDistribution::kUniform, 0.99, 16);
  EXPECT_EQ(keys.KeyAt(7), "k000000000000007");
  EXPECT_EQ(keys.KeyAt(7).size(), 16u);
  KeyChooser tiny(1000, KeyDistribution::kUniform, 0.99, 2);
  EXPECT_EQ(tiny.KeyAt(123), "k123");  // Too small to pad: never truncated.
}

TEST(KeyChooserTest, SameSeedSameKeys) {
  KeyChooser keys(5000, KeyDistribution::kZipfian, 0.9, 16);
  env::Random a(9), b(9);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(keys.NextIndex(a), keys.NextIndex(b));
}

}  // namespace
}  // namespace kv::bench
