#pragma once
// LatencyHistogram: an HDR-style log-bucketed histogram of non-negative
// integer values (kvbench records latencies in nanoseconds). Layer: bench.
//
// Each power of two [2^e, 2^(e+1)) is split into kSubBuckets equal buckets,
// so a recorded value is known to within 1/kSubBuckets of itself (relative
// error < 0.8 %) at any magnitude, with a fixed 60 KiB of counters and O(1)
// recording. Values below 2 * kSubBuckets are counted exactly. The exact
// minimum and maximum are kept beside the buckets. Not thread-safe.

#include <cstdint>
#include <vector>

namespace kv::bench {

class LatencyHistogram {
 public:
  // Sub-buckets per power of two: 2^kSubBucketBits.
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;

  LatencyHistogram();

  // Records `value` (clamped to 0 if negative) `count` times.
  void Record(int64_t value, uint64_t count = 1);
  // Adds every observation of `other` (same bucket layout by construction).
  void Merge(const LatencyHistogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  // Exact extremes of what was recorded; 0 when empty.
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  // Mean of the recorded values (exact sum / count); 0 when empty.
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / static_cast<double>(count_); }

  // The value at quantile q in [0, 1]: the smallest recorded value v such
  // that at least ceil(q * count) observations are <= v, reported as the
  // highest value of v's bucket (clamped to max()), so it is >= the exact
  // answer and within one bucket width (< 1/kSubBuckets relative) of it.
  // 0 when empty.
  int64_t ValueAtQuantile(double q) const;

  // Bucket layout, exposed for tests: the bucket index of a value, and the
  // lowest and highest value a bucket holds.
  static int BucketIndex(int64_t value);
  static int64_t BucketLowest(int index);
  static int64_t BucketHighest(int index);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  // Sum of recorded values; 128-bit so that hours of nanosecond latencies
  // cannot overflow it.
  __int128 sum_ = 0;
};

}  // namespace kv::bench
