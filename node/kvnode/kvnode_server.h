#pragma once
// KvnodeServer: one kvnode process: the event loop, the TCP network, RocksDB
// storage, the KvNode logic, the /metrics and RESP2 listeners. Layer:
// node/kvnode (binary; the only place that picks a concrete backend).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/backend/event_loop.h"
#include "node/backend/tcp_network.h"
#include "node/env/env.h"
#include "node/kv/cluster_config.h"
#include "node/kv/kv_node.h"
#include "node/kvnode/kvnode_config.h"
#include "node/kvnode/kvnode_metered_network.h"
#include "node/kvnode/snapshot_refusal_reporter.h"
#include "node/metrics/prometheus_text.h"
#include "node/metrics/metrics_tcp_server.h"
#include "node/redis/redis_tcp_server.h"
#include "storage/rocks_db.h"
#include "storage/rocks_log_storage.h"
#include "storage/rocks_state_machine_storage.h"

namespace kv::kvnode {

class KvnodeServer {
 public:
  // Opens storage, binds every listener and starts the node. Errors: a bad
  // cluster file, an unusable data directory (kDataLoss, kUnavailable, or a
  // RocksDB lock held by another process), an address in use.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KvnodeServer>> Start(const KvnodeConfig& config);
  ~KvnodeServer();

  // Runs the loop until SIGTERM/SIGINT (the caller blocks them first; see
  // BlockShutdownSignals) or a storage failure. Returns non-OK if the node
  // stopped because its storage failed (fail-stop).
  [[nodiscard]] absl::Status Run();

  // Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread (and the threads
  // it creates later), so a signalfd can receive them. Call first in main.
  static void BlockShutdownSignals();

  // The Prometheus page.
  std::string RenderMetrics();

 private:
  explicit KvnodeServer(const KvnodeConfig& config) : config_(config) {}
  [[nodiscard]] absl::Status Init();
  // SIGTERM/SIGINT: stop accepting, drain in-flight requests (bounded by
  // --shutdown_drain_ms, then failed with CODE_UNAVAILABLE), let replies
  // leave, sync storage, stop the loop.
  void BeginShutdown(absl::string_view why);
  void DrainStep();
  size_t InFlight() const;
  void Watchdog();
  // Measures a group-commit sync every interval (kv_storage_sync_duration_seconds).
  void ProbeSync();

  KvnodeConfig config_;
  std::unique_ptr<node::Cluster> cluster_;
  uint64_t cluster_fingerprint_ = 0;  // node::ClusterFingerprint(*cluster_), sent in peer hellos.
  // Declaration order is destruction order reversed: the budget and the loop
  // outlive everything that reserves from or posts to them.
  std::unique_ptr<env::MemoryBudget> budget_;
  std::unique_ptr<backend::EventLoop> loop_;
  std::unique_ptr<backend::TcpNetwork> network_;
  std::unique_ptr<KvnodeMeteredNetwork> metered_;  // What KvNode sends and receives through.
  std::unique_ptr<env::Random> random_;
  std::unique_ptr<env::Env> env_;
  std::unique_ptr<storage::RocksDb> db_;
  std::unique_ptr<storage::RocksStateMachineStorage> state_;
  std::map<uint64_t, std::unique_ptr<storage::RocksLogStorage>> logs_;
  std::unique_ptr<node::KvNode> node_;
  std::unique_ptr<metrics::MetricsTcpServer> metrics_;
  std::unique_ptr<redis::RedisTcpServer> redis_;
  // Warns of a shard whose leader cannot make snapshots, at most every 10 s.
  SnapshotRefusalReporter snapshot_refusals_{10 * env::kSecond};
  int signal_fd_ = -1;
  int lock_fd_ = -1;  // Holds an flock on DATA_DIR/kvnode.lock.
  bool shutting_down_ = false;
  env::TimeNs shutdown_started_ns_ = 0;
  size_t drain_pending_at_start_ = 0;
  size_t drain_failed_ = 0;
  size_t drain_transfers_ = 0;
  bool storage_failed_ = false;
  // Leader tracking for kv_raft_leader_changes_total: last leader per shard.
  std::map<uint64_t, uint64_t> last_leader_;
  std::map<uint64_t, uint64_t> leader_changes_;
  metrics::Histogram sync_latency_ns_{10 * env::kMicrosecond, 2, 20};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kv::kvnode
