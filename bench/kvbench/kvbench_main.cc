// kvbench: a load generator for a running kvnode cluster (native client
// protocol) or any RESP2 server (our nodes' Redis port, a stock
// redis-server). See docs/performance.md for the flags and how the
// comparison script uses it.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/kvbench/kvbench_options.h"
#include "bench/kvbench/load_driver.h"
#include "bench/kvbench/native_target.h"
#include "bench/kvbench/proc_stats.h"
#include "bench/kvbench/report.h"
#include "bench/kvbench/resp_target.h"
#include "node/backend/backend_log.h"

namespace {

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kv::bench;
  kv::backend::SetLogLevel(kv::backend::LogLevel::kError);
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(KvbenchUsage().c_str(), stdout);
      return 0;
    }
  }
  absl::StatusOr<KvbenchOptions> parsed = ParseKvbenchOptions(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "kvbench: %s\n%s", std::string(parsed.status().message()).c_str(),
                 KvbenchUsage().c_str());
    return 2;
  }
  const KvbenchOptions& options = *parsed;

  auto loop = kv::backend::MakeEventLoop(options.backend);
  if (!loop.ok()) {
    std::fprintf(stderr, "kvbench: %s\n", loop.status().ToString().c_str());
    return 3;
  }
  const int slots = options.clients * options.pipeline;
  std::unique_ptr<Target> target;
  if (options.protocol == Protocol::kNative) {
    auto native = NativeTarget::Create(**loop, options.cluster_path, slots, options.timeout_ms);
    if (!native.ok()) {
      std::fprintf(stderr, "kvbench: %s\n", std::string(native.status().message()).c_str());
      return 2;
    }
    target = std::move(*native);
  } else {
    target = std::make_unique<RespTarget>(**loop, options.redis_addresses, slots, options.connections,
                                          options.timeout_ms);
  }

  std::vector<int> pids = options.pids;
  if (options.pids_spec == "auto" && options.protocol == Protocol::kNative) {
    pids = FindProcesses("kvnode", absl::StrCat("--cluster=", options.cluster_path));
  }
  Report report;
  report.target = target->Describe();
  report.date_utc = UtcNow();
  report.options = &options;
  for (int pid : pids) {
    ServerReport s;
    s.pid = pid;
    absl::StatusOr<ProcSample> idle = SampleProcess(pid);
    if (idle.ok()) {
      s.idle = *idle;
      s.name = idle->name;
    }
    report.servers.push_back(s);
  }
  if (options.progress) {
    std::fprintf(stderr, "kvbench: %s; %zu server processes watched\n", report.target.c_str(), pids.size());
  }

  {
    LoadDriver driver(**loop, *target, options);
    auto sample = [&report](bool start) {
      for (ServerReport& s : report.servers) {
        absl::StatusOr<ProcSample> now = SampleProcess(s.pid);
        if (!now.ok()) continue;
        (start ? s.window_start : s.window_end) = *now;
      }
    };
    report.result = driver.Run([&] { sample(true); }, [&] { sample(false); });
  }
  for (ServerReport& s : report.servers) {
    s.ok = s.idle.pid != 0 && s.window_start.pid != 0 && s.window_end.pid != 0;
  }
  target.reset();

  const std::string table = FormatTable(report);
  std::fputs(table.c_str(), stdout);
  std::fflush(stdout);
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << FormatJson(report);
    if (!out) {
      std::fprintf(stderr, "kvbench: cannot write %s\n", options.json_path.c_str());
      return 3;
    }
  }
  uint64_t succeeded = 0, attempted = 0;
  for (const OpStats& s : report.result.ops) {
    succeeded += s.ok + s.not_found;
    attempted += s.ok + s.not_found + s.errors + s.timeouts;
  }
  return attempted > 0 && succeeded == 0 ? 1 : 0;
}
