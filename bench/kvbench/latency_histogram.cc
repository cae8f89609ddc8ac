#include "bench/kvbench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace kv::bench {
namespace {

// Bucket "magnitude" b >= 0 holds values whose top set bit is at position
// b + kSubBucketBits (b = 0 also holds everything smaller), at a resolution
// of 2^b. Index = b * kSubBuckets + (value >> b), which is contiguous:
// magnitude 0 covers indexes [0, 2 * kSubBuckets), magnitude b >= 1 covers
// [(b + 1) * kSubBuckets, (b + 2) * kSubBuckets).
constexpr int kMagnitudes = 63 - LatencyHistogram::kSubBucketBits;
constexpr int kBucketCount = (kMagnitudes + 1) * static_cast<int>(LatencyHistogram::kSubBuckets);

int Magnitude(uint64_t value) {
  const int top_bit = 63 - std::countl_zero(value | 1);
  return std::max(0, top_bit - LatencyHistogram::kSubBucketBits);
}

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBucketCount, 0) {}

int LatencyHistogram::BucketIndex(int64_t value) {
  const uint64_t v = value < 0 ? 0 : static_cast<uint64_t>(value);
  const int b = Magnitude(v);
  return static_cast<int>(b * kSubBuckets + static_cast<int64_t>(v >> b));
}

int64_t LatencyHistogram::BucketLowest(int index) {
  if (index < 2 * kSubBuckets) return index;
  const int b = static_cast<int>(index / kSubBuckets) - 1;
  const int64_t sub = index - b * kSubBuckets;  // In [kSubBuckets, 2 * kSubBuckets).
  return sub << b;
}

int64_t LatencyHistogram::BucketHighest(int index) {
  if (index < 2 * kSubBuckets) return index;
  const int b = static_cast<int>(index / kSubBuckets) - 1;
  const int64_t sub = index - b * kSubBuckets;
  // (sub + 1) << b would overflow for the very last bucket.
  return (sub << b) + ((int64_t{1} << b) - 1);
}

void LatencyHistogram::Record(int64_t value, uint64_t count) {
  if (count == 0) return;
  if (value < 0) value = 0;
  counts_[BucketIndex(value)] += count;
  if (count_ == 0 || value < min_) min_ = value;
  if (value > max_) max_ = value;
  count_ += count;
  sum_ += static_cast<__int128>(value) * count;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void LatencyHistogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

int64_t LatencyHistogram::ValueAtQuantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank (1-based) of the wanted observation.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketHighest(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace kv::bench
