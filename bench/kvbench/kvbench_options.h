#pragma once
// kvbench's command line: what to drive, the workload, and what to report.
// Layer: bench. docs/performance.md lists every flag with an example.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/kvbench/key_chooser.h"
#include "node/backend/event_loop.h"

namespace kv::bench {

enum class Protocol { kNative, kResp };

struct KvbenchOptions {
  Protocol protocol = Protocol::kNative;
  std::string cluster_path;                  // --cluster (native).
  std::vector<std::string> redis_addresses;  // --redis=HOST:PORT[,...] (resp).
  backend::BackendKind backend = backend::BackendKind::kEpoll;  // kvbench's own loop.

  int read_percent = 70;  // --mix=70/30 or --read_percent=70.
  uint64_t keys = 100000;
  KeyDistribution distribution = KeyDistribution::kUniform;
  double zipf_theta = 0.99;
  int key_bytes = 16;
  int value_bytes = 100;

  int clients = 50;
  int connections = 0;  // RESP: TCP connections the clients share; 0 = one per client.
  int pipeline = 1;     // Requests each client keeps in flight.

  double rate = 0;  // Open loop: requests per second in total; 0 = closed loop.
  double duration_s = 10;
  double warmup_s = 2;
  int64_t timeout_ms = 5000;
  bool preload = false;  // Write every key once before the warm-up.

  std::string json_path;
  // Server processes to report CPU and RSS of. "auto": the kvnode
  // processes started with this --cluster file (native only); "none".
  std::string pids_spec = "auto";
  std::vector<int> pids;
  bool progress = true;
  uint64_t seed = 1;
};

// The usage text.
std::string KvbenchUsage();

// Parses argv[1..]. Errors: kInvalidArgument naming the offending flag or
// value (kvbench prints it with the usage and exits 2).
[[nodiscard]] absl::StatusOr<KvbenchOptions> ParseKvbenchOptions(const std::vector<std::string>& args);

}  // namespace kv::bench
