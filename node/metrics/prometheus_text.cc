#include "node/metrics/prometheus_text.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "node/env/check.h"

namespace kv::metrics {
namespace {

std::string FormatDouble(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  return buffer;
}

std::string Braces(absl::string_view labels) {
  return labels.empty() ? std::string() : absl::StrCat("{", labels, "}");
}

}  // namespace

Histogram::Histogram(int64_t first_bound, int64_t factor, int bucket_count) {
  KV_CHECK_GT(first_bound, 0);
  KV_CHECK_GE(factor, 2);
  KV_CHECK_GE(bucket_count, 1);
  KV_CHECK_LE(bucket_count, 64);
  int64_t bound = first_bound;
  for (int i = 0; i < bucket_count; ++i) {
    bounds_.push_back(bound);
    if (bound > INT64_MAX / factor) break;
    bound *= factor;
  }
  counts_.assign(bounds_.size() + 1, 0);
}

void Histogram::Observe(int64_t value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  ++count_;
  sum_ += value;
}

std::string EscapeLabelValue(absl::string_view value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

void PrometheusWriter::Header(absl::string_view name, absl::string_view help,
                              absl::string_view type) {
  if (!described_.insert(std::string(name)).second) return;
  absl::StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void PrometheusWriter::Counter(absl::string_view name, absl::string_view help,
                               absl::string_view labels, uint64_t value) {
  Header(name, help, "counter");
  absl::StrAppend(&text_, name, Braces(labels), " ", value, "\n");
}

void PrometheusWriter::Gauge(absl::string_view name, absl::string_view help,
                             absl::string_view labels, int64_t value) {
  Header(name, help, "gauge");
  absl::StrAppend(&text_, name, Braces(labels), " ", value, "\n");
}

void PrometheusWriter::WriteHistogram(absl::string_view name, absl::string_view help,
                                      absl::string_view labels, const Histogram& histogram,
                                      double scale) {
  Header(name, help, "histogram");
  const std::string prefix = labels.empty() ? std::string() : absl::StrCat(labels, ",");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.bounds().size(); ++i) {
    cumulative += histogram.counts()[i];
    absl::StrAppend(&text_, name, "_bucket{", prefix, "le=\"",
                    FormatDouble(static_cast<double>(histogram.bounds()[i]) / scale), "\"} ",
                    cumulative, "\n");
  }
  cumulative += histogram.counts().back();
  absl::StrAppend(&text_, name, "_bucket{", prefix, "le=\"+Inf\"} ", cumulative, "\n");
  absl::StrAppend(&text_, name, "_sum", Braces(labels), " ",
                  FormatDouble(static_cast<double>(histogram.sum()) / scale), "\n");
  absl::StrAppend(&text_, name, "_count", Braces(labels), " ", histogram.count(), "\n");
}

}  // namespace kv::metrics
