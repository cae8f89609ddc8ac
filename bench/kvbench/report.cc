#include "bench/kvbench/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kv::bench {
namespace {

struct Quantiles {
  double p50, p95, p99, p999, max, mean;
};

Quantiles QuantilesMs(const LatencyHistogram& h) {
  auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
  return Quantiles{ms(h.ValueAtQuantile(0.50)), ms(h.ValueAtQuantile(0.95)), ms(h.ValueAtQuantile(0.99)),
                   ms(h.ValueAtQuantile(0.999)), ms(h.max()), h.mean() / 1e6};
}

// The per-op rows plus "all".
struct Row {
  std::string name;
  OpStats stats;
};

std::vector<Row> Rows(const RunResult& r) {
  std::vector<Row> rows;
  OpStats all;
  for (int i = 0; i < kOpTypeCount; ++i) {
    const OpStats& s = r.ops[i];
    const uint64_t total = s.ok + s.not_found + s.errors + s.timeouts;
    if (total == 0) continue;
    rows.push_back(Row{OpName(static_cast<OpType>(i)), s});
    all.latency_ns.Merge(s.latency_ns);
    all.ok += s.ok;
    all.not_found += s.not_found;
    all.errors += s.errors;
    all.timeouts += s.timeouts;
  }
  if (rows.size() > 1) rows.push_back(Row{"all", std::move(all)});
  return rows;
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Workload(const KvbenchOptions& o) {
  return absl::StrFormat(
      "mix %d/%d, %u keys %s%s, key %d B, value %d B, %d clients, %d connections, pipeline %d, %s, "
      "%.1f s measured after %.1f s warm-up",
      o.read_percent, 100 - o.read_percent, o.keys,
      o.distribution == KeyDistribution::kUniform ? "uniform" : "zipfian",
      o.distribution == KeyDistribution::kZipfian ? absl::StrFormat(" (theta %.2f)", o.zipf_theta) : "",
      o.key_bytes, o.value_bytes, o.clients, o.connections, o.pipeline,
      o.rate > 0 ? absl::StrFormat("open loop at %.0f/s", o.rate) : std::string("closed loop"),
      o.duration_s, o.warmup_s);
}

}  // namespace

std::string FormatTable(const Report& report) {
  const KvbenchOptions& o = *report.options;
  const RunResult& r = report.result;
  std::string out = absl::StrCat("kvbench ", report.date_utc, "\n  target:   ", report.target,
                                 "\n  workload: ", Workload(o), "\n");
  if (o.preload) {
    absl::StrAppend(&out, "  preload:  ", r.preloaded_keys, " keys written, ", r.preload_failures, " failed\n");
  }
  absl::StrAppendFormat(&out, "%-4s %10s %10s %9s %9s %9s %9s %9s %9s %8s %8s\n", "op", "count", "ops/s",
                        "mean_ms", "p50_ms", "p95_ms", "p99_ms", "p99.9_ms", "max_ms", "errors", "timeouts");
  for (const Row& row : Rows(r)) {
    const Quantiles q = QuantilesMs(row.stats.latency_ns);
    const uint64_t done = row.stats.ok + row.stats.not_found;
    absl::StrAppendFormat(&out, "%-4s %10u %10.0f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %8u %8u\n", row.name,
                          done, static_cast<double>(done) / r.measured_seconds, q.mean, q.p50, q.p95,
                          q.p99, q.p999, q.max, row.stats.errors, row.stats.timeouts);
    if (row.stats.not_found > 0) {
      absl::StrAppendFormat(&out, "     (%u of the %s answered not found)\n", row.stats.not_found, row.name);
    }
  }
  if (r.unsent > 0) absl::StrAppend(&out, "  open loop: ", r.unsent, " due requests never sent (backlog at the end)\n");
  if (!r.drained) absl::StrAppend(&out, "  warning: requests still in flight after the drain timeout\n");
  for (const ServerReport& s : report.servers) {
    if (!s.ok) {
      absl::StrAppendFormat(&out, "  server pid %d: could not be read (exited?)\n", s.pid);
      continue;
    }
    const double cpu = s.window_end.cpu_seconds - s.window_start.cpu_seconds;
    absl::StrAppendFormat(&out,
                          "  server pid %d (%s): cpu %.2f s in the window (%.0f%% of a core), rss idle %.1f MiB, "
                          "end %.1f MiB, peak %.1f MiB\n",
                          s.pid, s.name, cpu, 100.0 * cpu / r.measured_seconds,
                          static_cast<double>(s.idle.rss_bytes) / (1 << 20),
                          static_cast<double>(s.window_end.rss_bytes) / (1 << 20),
                          static_cast<double>(s.window_end.peak_rss_bytes) / (1 << 20));
  }
  return out;
}

std::string FormatJson(const Report& report) {
  const KvbenchOptions& o = *report.options;
  const RunResult& r = report.result;
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"date_utc\": ", JsonString(report.date_utc), ",\n");
  absl::StrAppend(&out, "  \"target\": ", JsonString(report.target), ",\n");
  absl::StrAppendFormat(&out,
                        "  \"workload\": {\"read_percent\": %d, \"keys\": %u, \"distribution\": \"%s\", "
                        "\"zipf_theta\": %.3f, \"key_bytes\": %d, \"value_bytes\": %d, \"clients\": %d, "
                        "\"connections\": %d, \"pipeline\": %d, \"rate\": %.3f, \"duration_s\": %.3f, "
                        "\"warmup_s\": %.3f, \"timeout_ms\": %d, \"seed\": %u, \"preload\": %s},\n",
                        o.read_percent, o.keys,
                        o.distribution == KeyDistribution::kUniform ? "uniform" : "zipfian", o.zipf_theta,
                        o.key_bytes, o.value_bytes, o.clients, o.connections, o.pipeline, o.rate,
                        o.duration_s, o.warmup_s, o.timeout_ms, o.seed, o.preload ? "true" : "false");
  absl::StrAppendFormat(&out,
                        "  \"measured_seconds\": %.3f, \"preloaded_keys\": %u, \"preload_failures\": %u, "
                        "\"unsent\": %u, \"drained\": %s,\n",
                        r.measured_seconds, r.preloaded_keys, r.preload_failures, r.unsent,
                        r.drained ? "true" : "false");
  out += "  \"ops\": {";
  bool first = true;
  for (const Row& row : Rows(r)) {
    const LatencyHistogram& h = row.stats.latency_ns;
    const uint64_t done = row.stats.ok + row.stats.not_found;
    absl::StrAppendFormat(
        &out,
        "%s\n    \"%s\": {\"count\": %u, \"ok\": %u, \"not_found\": %u, \"errors\": %u, \"timeouts\": %u, "
        "\"ops_per_second\": %.1f, \"latency_ns\": {\"mean\": %.0f, \"p50\": %d, \"p95\": %d, \"p99\": %d, "
        "\"p99_9\": %d, \"max\": %d, \"min\": %d}}",
        first ? "" : ",", row.name, done, row.stats.ok, row.stats.not_found, row.stats.errors,
        row.stats.timeouts, static_cast<double>(done) / r.measured_seconds, h.mean(), h.ValueAtQuantile(0.5),
        h.ValueAtQuantile(0.95), h.ValueAtQuantile(0.99), h.ValueAtQuantile(0.999), h.max(), h.min());
    first = false;
  }
  out += "\n  },\n  \"servers\": [";
  first = true;
  for (const ServerReport& s : report.servers) {
    absl::StrAppendFormat(&out, "%s\n    {\"pid\": %d, \"name\": %s, \"ok\": %s", first ? "" : ",", s.pid,
                          JsonString(s.name), s.ok ? "true" : "false");
    if (s.ok) {
      absl::StrAppendFormat(&out,
                            ", \"cpu_seconds\": %.3f, \"rss_idle_bytes\": %d, \"rss_end_bytes\": %d, "
                            "\"peak_rss_bytes\": %d",
                            s.window_end.cpu_seconds - s.window_start.cpu_seconds, s.idle.rss_bytes,
                            s.window_end.rss_bytes, s.window_end.peak_rss_bytes);
    }
    out += "}";
    first = false;
  }
  out += "\n  ]\n}\n";
  return out;
}

}  // namespace kv::bench
