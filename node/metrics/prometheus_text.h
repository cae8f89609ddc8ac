#pragma once
// Prometheus text exposition format (version 0.0.4): counters, gauges and
// histograms with exponential buckets. Pure formatting, deterministic (no
// clock, no threads), so it may be unit-tested anywhere. Layer: node/metrics.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kv::metrics {

// A latency (or size) histogram with exponential bucket bounds:
// first_bound, first_bound*factor, ... (bucket_count bounds) plus +Inf.
// Values are integers (nanoseconds for latencies). Not thread-safe.
class Histogram {
 public:
  // Preconditions: first_bound > 0, factor >= 2, 1 <= bucket_count <= 64.
  Histogram(int64_t first_bound, int64_t factor, int bucket_count);

  void Observe(int64_t value);

  const std::vector<int64_t>& bounds() const { return bounds_; }
  // Non-cumulative counts per bucket; the last is +Inf.
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t count() const { return count_; }
  int64_t sum() const { return sum_; }

 private:
  std::vector<int64_t> bounds_;
  std::vector<uint64_t> counts_;  // bounds_.size() + 1 entries.
  uint64_t count_ = 0;
  int64_t sum_ = 0;
};

// Builds one /metrics page. HELP and TYPE lines are written once per metric
// name, before its first sample. `labels` is preformatted: `op="get",code="ok"`
// or empty. Sample order is the call order: callers iterate ordered maps.
class PrometheusWriter {
 public:
  void Counter(absl::string_view name, absl::string_view help, absl::string_view labels,
               uint64_t value);
  void Gauge(absl::string_view name, absl::string_view help, absl::string_view labels,
             int64_t value);
  // Writes _bucket{le=...} (cumulative), _sum and _count. `scale` divides
  // bounds and sum for display (1e9 turns nanoseconds into seconds).
  void WriteHistogram(absl::string_view name, absl::string_view help, absl::string_view labels,
                      const Histogram& histogram, double scale);

  const std::string& text() const { return text_; }

 private:
  void Header(absl::string_view name, absl::string_view help, absl::string_view type);
  std::string text_;
  std::set<std::string> described_;
};

// Escapes a label value (backslash, quote, newline).
std::string EscapeLabelValue(absl::string_view value);

}  // namespace kv::metrics
