#include "bench/kvbench/kvbench_options.h"

#include <cmath>
#include <functional>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kv::bench {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view value, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, "=", value, ": expected ", expected));
}

template <typename Int>
absl::Status ParseInt(absl::string_view flag, absl::string_view value, Int low, Int high, Int& out) {
  if (!absl::SimpleAtoi(value, &out) || out < low || out > high) {
    return Bad(flag, value, absl::StrCat("an integer in [", low, ", ", high, "]"));
  }
  return absl::OkStatus();
}

absl::Status ParseDouble(absl::string_view flag, absl::string_view value, double low, double high,
                         double& out) {
  if (!absl::SimpleAtod(value, &out) || !std::isfinite(out) || out < low || out > high) {
    return Bad(flag, value, absl::StrCat("a number in [", low, ", ", high, "]"));
  }
  return absl::OkStatus();
}

absl::Status ParseBool(absl::string_view flag, absl::string_view value, bool& out) {
  if (value == "true" || value == "1" || value.empty()) {
    out = true;
  } else if (value == "false" || value == "0") {
    out = false;
  } else {
    return Bad(flag, value, "true or false");
  }
  return absl::OkStatus();
}

}  // namespace

std::string KvbenchUsage() {
  return R"(usage: kvbench (--cluster=FILE | --redis=HOST:PORT[,HOST:PORT...]) [flags]
Target:
  --cluster=FILE        drive a kvnode cluster through the native client library
  --redis=ADDRS         drive RESP2 servers (our Redis port, or a stock redis-server)
  --backend=epoll|uring kvbench's own event loop (default epoll)
Workload:
  --mix=R/W             read/write percentages (default 70/30); or --read_percent=R
  --keys=N              key count (default 100000)
  --distribution=uniform|zipfian   (default uniform); --zipf_theta=T (default 0.99)
  --key_bytes=N         key size (default 16); --value_bytes=N value size (default 100)
  --clients=N           concurrent clients (default 50)
  --connections=N       RESP only: TCP connections the clients share (default one each)
  --pipeline=N          requests each client keeps in flight (default 1)
  --rate=R              open loop at R requests/s in total, latency from the intended
                        send time; default closed loop (clients as fast as they can)
  --duration_s=S        measured time (default 10); --warmup_s=S (default 2, excluded)
  --timeout_ms=MS       per request (default 5000)
  --preload             write every key once before the warm-up (for read runs)
  --seed=N              workload random seed (default 1)
Report:
  --json=FILE           also write the results as JSON
  --pids=auto|none|P,P  server processes whose CPU time and RSS to report (default auto:
                        the kvnode processes started with --cluster=FILE)
  --progress=false      no progress lines on stderr
Exit codes: 0 done, 1 every request failed, 2 bad flags, 3 cannot start.
)";
}

absl::StatusOr<KvbenchOptions> ParseKvbenchOptions(const std::vector<std::string>& args) {
  KvbenchOptions o;
  bool have_cluster = false, have_redis = false;
  using Handler = std::function<absl::Status(absl::string_view name, absl::string_view value)>;
  const std::map<std::string, Handler> handlers = {
      {"cluster", [&](auto, auto v) { o.cluster_path = std::string(v); have_cluster = !v.empty(); return absl::OkStatus(); }},
      {"redis", [&](auto n, auto v) {
         o.redis_addresses = absl::StrSplit(v, ',', absl::SkipEmpty());
         have_redis = true;
         if (o.redis_addresses.empty()) return Bad(n, v, "HOST:PORT[,HOST:PORT...]");
         for (const std::string& a : o.redis_addresses) {
           if (a.find(':') == std::string::npos) return Bad(n, v, "HOST:PORT[,HOST:PORT...]");
         }
         return absl::OkStatus();
       }},
      {"backend", [&](auto n, auto v) {
         auto kind = backend::ParseBackendKind(v);
         if (!kind.ok()) return Bad(n, v, "epoll or uring");
         o.backend = *kind;
         return absl::OkStatus();
       }},
      {"mix", [&](auto n, auto v) {
         std::vector<absl::string_view> parts = absl::StrSplit(v, '/');
         int r = 0, w = 0;
         if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &r) || !absl::SimpleAtoi(parts[1], &w) ||
             r < 0 || w < 0 || r + w != 100) {
           return Bad(n, v, "READ/WRITE percentages adding up to 100, e.g. 70/30");
         }
         o.read_percent = r;
         return absl::OkStatus();
       }},
      {"read_percent", [&](auto n, auto v) { return ParseInt(n, v, 0, 100, o.read_percent); }},
      {"keys", [&](auto n, auto v) { return ParseInt<uint64_t>(n, v, 1, uint64_t{1} << 32, o.keys); }},
      {"distribution", [&](auto n, auto v) {
         if (v == "uniform") {
           o.distribution = KeyDistribution::kUniform;
         } else if (v == "zipfian" || v == "zipf") {
           o.distribution = KeyDistribution::kZipfian;
         } else {
           return Bad(n, v, "uniform or zipfian");
         }
         return absl::OkStatus();
       }},
      {"zipf_theta", [&](auto n, auto v) {
         absl::Status s = ParseDouble(n, v, 0.01, 0.999, o.zipf_theta);
         return s;
       }},
      {"key_bytes", [&](auto n, auto v) { return ParseInt(n, v, 2, 4096, o.key_bytes); }},
      {"value_bytes", [&](auto n, auto v) { return ParseInt(n, v, 1, 1 << 20, o.value_bytes); }},
      {"clients", [&](auto n, auto v) { return ParseInt(n, v, 1, 10000, o.clients); }},
      {"connections", [&](auto n, auto v) { return ParseInt(n, v, 1, 10000, o.connections); }},
      {"pipeline", [&](auto n, auto v) { return ParseInt(n, v, 1, 1024, o.pipeline); }},
      {"rate", [&](auto n, auto v) { return ParseDouble(n, v, 0.001, 1e8, o.rate); }},
      {"duration_s", [&](auto n, auto v) { return ParseDouble(n, v, 0.1, 3600, o.duration_s); }},
      {"warmup_s", [&](auto n, auto v) { return ParseDouble(n, v, 0, 600, o.warmup_s); }},
      {"timeout_ms", [&](auto n, auto v) { return ParseInt<int64_t>(n, v, 1, 600000, o.timeout_ms); }},
      {"preload", [&](auto n, auto v) { return ParseBool(n, v, o.preload); }},
      {"seed", [&](auto n, auto v) { return ParseInt<uint64_t>(n, v, 0, UINT64_MAX, o.seed); }},
      {"json", [&](auto n, auto v) {
         if (v.empty()) return Bad(n, v, "a file name");
         o.json_path = std::string(v);
         return absl::OkStatus();
       }},
      {"pids", [&](auto n, auto v) {
         o.pids_spec = std::string(v);
         o.pids.clear();
         if (v == "auto" || v == "none") return absl::OkStatus();
         for (absl::string_view p : absl::StrSplit(v, ',', absl::SkipEmpty())) {
           int pid = 0;
           if (!absl::SimpleAtoi(p, &pid) || pid <= 0) return Bad(n, v, "auto, none or PID[,PID...]");
           o.pids.push_back(pid);
         }
         if (o.pids.empty()) return Bad(n, v, "auto, none or PID[,PID...]");
         return absl::OkStatus();
       }},
      {"progress", [&](auto n, auto v) { return ParseBool(n, v, o.progress); }},
  };
  for (const std::string& arg : args) {
    absl::string_view a = arg;
    if (!absl::ConsumePrefix(&a, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\" (flags are --name=value)"));
    }
    const size_t eq = a.find('=');
    const std::string name(a.substr(0, eq));
    const absl::string_view value = eq == absl::string_view::npos ? absl::string_view() : a.substr(eq + 1);
    auto it = handlers.find(name);
    if (it == handlers.end()) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (eq == absl::string_view::npos && name != "preload" && name != "progress") {
      return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value (--", name, "=...)"));
    }
    if (absl::Status s = it->second(name, value); !s.ok()) return s;
  }
  if (have_cluster == have_redis) {
    return absl::InvalidArgumentError("give exactly one target: --cluster=FILE or --redis=HOST:PORT");
  }
  o.protocol = have_cluster ? Protocol::kNative : Protocol::kResp;
  if (o.protocol == Protocol::kNative && o.connections != 0 && o.connections != o.clients) {
    return absl::InvalidArgumentError(
        "--connections is for --redis only: each native client has its own connection to each node");
  }
  if (o.protocol == Protocol::kResp && o.connections > o.clients) {
    return absl::InvalidArgumentError(absl::StrCat("--connections=", o.connections,
                                                   " is more than --clients=", o.clients));
  }
  if (o.connections == 0) o.connections = o.clients;
  return o;
}

}  // namespace kv::bench
