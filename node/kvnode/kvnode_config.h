#pragma once
// KvnodeConfig: the settings of one kvnode process, from flags and/or a
// config file, validated against the cluster layout. Layer: node/kvnode.
//
// Config file: one `key = value` per line (the flag names without dashes);
// blank lines and lines starting with '#' are ignored. Flags given on the
// command line override the file. A flag given twice on the command line,
// or an option set twice in the file, is refused. docs/operating.md lists
// every option.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/backend/backend_log.h"
#include "node/backend/event_loop.h"
#include "node/kv/cluster_config.h"

namespace kv::kvnode {

struct KvnodeConfig {
  int64_t node_id = -1;             // --node_id (required): this node's id in the cluster.
  std::string cluster_path;         // --cluster (required): cluster layout (text proto).
  std::string data_dir;             // --data_dir (required): RocksDB directory.
  backend::BackendKind backend = backend::BackendKind::kEpoll;  // --backend=epoll|uring
  int64_t memory_limit_bytes = 1ll << 30;  // --memory_limit_bytes
  backend::LogLevel log_level = backend::LogLevel::kInfo;  // --log_level
  int64_t shutdown_drain_ms = 500;  // --shutdown_drain_ms: most time in-flight requests get on SIGTERM.
  int64_t block_cache_bytes = 64ll << 20;  // --block_cache_bytes (RocksDB).
};

// Parses argv (argv[0] is skipped) and the file named by --config, if any.
// Errors: kInvalidArgument naming the unknown flag, the bad value, the
// missing required option or the flag given twice; kNotFound for an
// unreadable config file.
[[nodiscard]] absl::StatusOr<KvnodeConfig> ParseKvnodeFlags(const std::vector<std::string>& args);

// Reads and validates the cluster file, and checks that node_id is in it and
// that the node's peer and client addresses are set.
[[nodiscard]] absl::StatusOr<node::Cluster> LoadCluster(const KvnodeConfig& config);

// The largest config or cluster file read. A 1,024-shard layout is about
// 50 KB; the bound keeps a wrong path (/dev/zero) from filling memory.
inline constexpr int64_t kMaxKvnodeFileBytes = 16 << 20;
// The longest --shutdown_drain_ms: one day. Larger values, in nanoseconds,
// would overflow int64 (the drain deadline).
inline constexpr int64_t kMaxShutdownDrainMs = 24 * 3600 * 1000;

// Reads a whole file (a regular file, or a pipe such as <(...)). Errors:
// kNotFound (missing or unreadable), kInvalidArgument (a directory, or
// more than kMaxKvnodeFileBytes).
[[nodiscard]] absl::StatusOr<std::string> ReadFileForKvnode(const std::string& path);

// The usage text printed for --help and after a flag error.
std::string KvnodeUsage();

}  // namespace kv::kvnode
