#include "bench/kvbench/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "node/env/random.h"

namespace kv::bench {
namespace {

constexpr double kPrecision = 1.0 / LatencyHistogram::kSubBuckets;

// The exact quantile as ValueAtQuantile defines it: the value of rank
// ceil(q * n) (1-based) in sorted order.
int64_t ExactQuantile(std::vector<int64_t> values, double q) {
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

void ExpectWithinPrecision(const LatencyHistogram& h, const std::vector<int64_t>& values, double q) {
  const int64_t exact = ExactQuantile(values, q);
  const int64_t reported = h.ValueAtQuantile(q);
  EXPECT_GE(reported, exact) << "q=" << q;
  EXPECT_LE(static_cast<double>(reported - exact), kPrecision * static_cast<double>(exact) + 1e-9)
      << "q=" << q << " exact=" << exact << " reported=" << reported;
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndCoverTheirValues) {
  int previous_highest = -1;
  for (int index = 0; index < 40 * LatencyHistogram::kSubBuckets; ++index) {
    const int64_t low = LatencyHistogram::BucketLowest(index);
    const int64_t high = LatencyHistogram::BucketHighest(index);
    ASSERT_EQ(low, previous_highest + 1) << index;
    ASSERT_LE(low, high);
    ASSERT_EQ(LatencyHistogram::BucketIndex(low), index);
    ASSERT_EQ(LatencyHistogram::BucketIndex(high), index);
    // Width relative to the lowest value is the promised precision.
    if (low > 0) {
      ASSERT_LE(static_cast<double>(high - low), kPrecision * static_cast<double>(low));
    }
    previous_highest = static_cast<int>(std::min<int64_t>(high, INT32_MAX - 1));
    if (high >= INT32_MAX - 1) break;
  }
  EXPECT_EQ(LatencyHistogram::BucketIndex(INT64_MAX),
            LatencyHistogram::BucketIndex(LatencyHistogram::BucketLowest(LatencyHistogram::BucketIndex(INT64_MAX))));
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int64_t v = 0; v < 2 * LatencyHistogram::kSubBuckets; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtQuantile(0), 0);
  EXPECT_EQ(h.ValueAtQuantile(0.5), LatencyHistogram::kSubBuckets - 1);
  EXPECT_EQ(h.ValueAtQuantile(1), 2 * LatencyHistogram::kSubBuckets - 1);
}

TEST(LatencyHistogramTest, QuantilesMatchSortedValuesWithinBucketPrecision) {
  env::Random random(42);
  for (int trial = 0; trial < 20; ++trial) {
    LatencyHistogram h;
    std::vector<int64_t> values;
    const int n = 1 + static_cast<int>(random.Uniform(20000));
    for (int i = 0; i < n; ++i) {
      // Latency-like: log-uniform from 1 us to 10 s, plus some spikes.
      const double exponent = 3 + 7 * random.NextDouble();
      int64_t v = static_cast<int64_t>(std::pow(10.0, exponent));
      if (random.Chance(1, 100)) v *= 10;
      values.push_back(v);
      h.Record(v);
    }
    ASSERT_EQ(h.count(), static_cast<uint64_t>(n));
    for (double q : {0.0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0}) {
      ExpectWithinPrecision(h, values, q);
    }
    EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
    EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
    EXPECT_EQ(h.ValueAtQuantile(1.0), h.max());
  }
}

TEST(LatencyHistogramTest, MaxIsExactAndBoundsEveryQuantile) {
  LatencyHistogram h;
  h.Record(1'000'000);
  h.Record(1'234'567);
  EXPECT_EQ(h.max(), 1'234'567);
  // The top bucket's highest value is above the max; the report is clamped.
  EXPECT_EQ(h.ValueAtQuantile(0.99), 1'234'567);
  EXPECT_LE(h.ValueAtQuantile(0.5), 1'000'000 * (1 + kPrecision));
  EXPECT_DOUBLE_EQ(h.mean(), (1'000'000 + 1'234'567) / 2.0);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  env::Random random(7);
  LatencyHistogram a, b, both;
  std::vector<int64_t> values;
  for (int i = 0; i < 5000; ++i) {
    const int64_t v = static_cast<int64_t>(random.Uniform(50'000'000));
    (i % 3 == 0 ? a : b).Record(v);
    both.Record(v);
    values.push_back(v);
  }
  LatencyHistogram merged;
  merged.Merge(a);
  merged.Merge(b);
  EXPECT_EQ(merged.count(), both.count());
  EXPECT_EQ(merged.max(), both.max());
  EXPECT_EQ(merged.min(), both.min());
  EXPECT_DOUBLE_EQ(merged.mean(), both.mean());
  for (double q : {0.1, 0.5, 0.99, 0.999}) {
    EXPECT_EQ(merged.ValueAtQuantile(q), both.ValueAtQuantile(q));
    ExpectWithinPrecision(merged, values, q);
  }
}

TEST(LatencyHistogramTest, EmptyAndNegativeAndCounts) {
  LatencyHistogram h;
  EXPECT_EQ(h.ValueAtQuantile(0.99), 0);
  EXPECT_EQ(h.max(), 0);
  h.Record(-5);  // Clamped to zero (a clock that went backwards).
  EXPECT_EQ(h.min(), 0);
  h.Record(1000, 99);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.ValueAtQuantile(0.01), 0);
  EXPECT_EQ(h.ValueAtQuantile(0.02), 1000);
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0);
}

}  // namespace
}  // namespace kv::bench
