#include "node/metrics/prometheus_text.h"

#include "gtest/gtest.h"

namespace kv::metrics {
namespace {

TEST(HistogramTest, ExponentialBucketsAndCumulativeOutput) {
  Histogram h(1000, 10, 3);  // 1us, 10us, 100us (in ns), +Inf.
  EXPECT_EQ(h.bounds(), (std::vector<int64_t>{1000, 10000, 100000}));
  h.Observe(500);
  h.Observe(1000);
  h.Observe(5000);
  h.Observe(1000000);
  PrometheusWriter w;
  w.WriteHistogram("kv_latency_seconds", "Latency.", "op=\"get\"", h, 1e9);
  EXPECT_EQ(w.text(),
            "# HELP kv_latency_seconds Latency.\n"
            "# TYPE kv_latency_seconds histogram\n"
            "kv_latency_seconds_bucket{op=\"get\",le=\"1e-06\"} 2\n"
            "kv_latency_seconds_bucket{op=\"get\",le=\"1e-05\"} 3\n"
            "kv_latency_seconds_bucket{op=\"get\",le=\"0.0001\"} 3\n"
            "kv_latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "kv_latency_seconds_sum{op=\"get\"} 0.0010065\n"
            "kv_latency_seconds_count{op=\"get\"} 4\n");
}

TEST(PrometheusWriterTest, HeaderOncePerName) {
  PrometheusWriter w;
  w.Counter("kv_requests_total", "Requests.", "code=\"ok\"", 3);
  w.Counter("kv_requests_total", "Requests.", "code=\"error\"", 1);
  w.Gauge("kv_up", "Up.", "", 1);
  EXPECT_EQ(w.text(),
            "# HELP kv_requests_total Requests.\n# TYPE kv_requests_total counter\n"
            "kv_requests_total{code=\"ok\"} 3\nkv_requests_total{code=\"error\"} 1\n"
            "# HELP kv_up Up.\n# TYPE kv_up gauge\nkv_up 1\n");
}

TEST(PrometheusWriterTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace kv::metrics
