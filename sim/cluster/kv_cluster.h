#pragma once
// KvCluster: a simulated sharded KV cluster (server nodes running KvNode on
// simulated disks) plus client processes running the client library, with
// the control surface the fault injector drives. Layer: sim (harness).
//
// Node ids 0..servers-1 are servers, servers.. are clients; all share one
// SimNetwork. A server's SimDisk outlives its crashes (it is the durable
// medium); its storage objects and KvNode are rebuilt on restart from what
// the disk kept.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faults/fault_injector.h"
#include "node/kv/cluster_config.h"
#include "node/kv/kv_client.h"
#include "node/kv/kv_node.h"
#include "sim/scheduler.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"
#include "storage/sim_disk.h"
#include "storage/sim_log_storage.h"
#include "storage/sim_state_machine_storage.h"

namespace kv::sim {

struct KvClusterOptions {
  int servers = 5;
  int shards = 8;
  int replication_factor = 3;
  int clients = 10;
  int64_t memory_limit_bytes = 64 << 20;
  LinkProfile link;
  std::vector<env::TimeNs> clock_offset_ns;  // Per server; empty means zero.
  std::vector<int64_t> clock_drift_ppb;      // Per server; empty means zero.
  storage::SimDiskFaults disk_faults;        // Applied to every server's disk.
  node::KvNodeOptions node;                  // `self` is set per server.
  node::KvClientOptions client;
  // The run's fault points, handed to every server and client (may be null;
  // must outlive the cluster).
  env::Buggify* buggify = nullptr;
};

class KvCluster final : public faults::ClusterControl {
 public:
  KvCluster(Scheduler& scheduler, const env::Random& root, const KvClusterOptions& options);
  ~KvCluster() override;

  // Starts every server. Errors: a server could not load its storage.
  [[nodiscard]] absl::Status Start();

  const node::Cluster& cluster() const { return cluster_; }
  int server_count() const { return options_.servers; }
  int client_count() const { return options_.clients; }
  // Client `i` (0-based) and its env (for workload timers and randomness).
  node::KvClient& client(int i) { return *clients_[i].client; }
  env::Env& client_env(int i) { return clients_[i].process->env(); }
  const env::MemoryBudget& server_memory(int i) const { return servers_[i].process->memory(); }
  // A live server's node, or null if it is down.
  node::KvNode* server(int i) { return servers_[i].node.get(); }
  bool up(int i) const { return servers_[i].process->context().up(); }
  // A live server's state-machine storage, or null if it is down.
  storage::StateMachineStorage* state_storage(int i) { return servers_[i].state.get(); }
  // A live server's log storage of `shard`, or null if it is down or has no
  // replica of the shard.
  const storage::LogStorage* log_storage(int i, uint64_t shard) const {
    auto it = servers_[i].logs.find(shard);
    return it == servers_[i].logs.end() ? nullptr : it->second.get();
  }

  // Servers that hit a storage error are restarted (fail-stop recovery),
  // and servers whose start failed are started again once their backoff
  // has passed (kFirstStartRetryNs, doubling up to kMaxStartRetryNs), as a
  // supervisor such as systemd's Restart=on-failure would: a transient disk
  // fault during recovery is not a reason to stay down for the whole run.
  void RestartFailedServers();
  static constexpr env::DurationNs kFirstStartRetryNs = 1'000'000'000;
  static constexpr env::DurationNs kMaxStartRetryNs = 8'000'000'000;
  // Storage-level counters summed over servers.
  int64_t disk_syncs() const;
  // Every server's disk counters summed: how often each disk fault fired.
  storage::SimDiskCounters disk_counters() const;
  int64_t start_failures() const { return start_failures_; }
  // Why the last failed start failed ("" if none did).
  const std::string& last_start_failure() const { return last_start_failure_; }

  // faults::ClusterControl (server ids only).
  SimNetwork& network() override { return *network_; }
  bool Crash(env::NodeId node) override;
  bool Restart(env::NodeId node) override;
  bool Pause(env::NodeId node, env::DurationNs duration_ns) override;
  bool SetClockDrift(env::NodeId node, int64_t drift_ppb) override;
  bool SetMemoryLimit(env::NodeId node, int64_t limit_bytes) override;
  std::optional<env::NodeId> BusiestLeader() const override;
  // Turns every disk's faults off (liveness phase) or back to the plan's.
  void SetDiskFaults(bool on);

 private:
  struct Server {
    std::unique_ptr<SimProcess> process;
    std::unique_ptr<storage::SimDisk> disk;
    // Per incarnation:
    std::map<uint64_t, std::unique_ptr<storage::SimLogStorage>> logs;
    std::unique_ptr<storage::SimStateMachineStorage> state;
    std::unique_ptr<node::KvNode> node;
    // After a failed start: when the supervisor starts the server again
    // (-1: no start has failed since the last good one), and the wait
    // before that, which doubles with each failure in a row.
    env::TimeNs retry_start_at_ns = -1;
    env::DurationNs start_backoff_ns = 0;
  };
  struct Client {
    std::unique_ptr<SimProcess> process;
    std::unique_ptr<node::KvClient> client;
  };

  std::unique_ptr<SimProcess> MakeProcess(env::NodeId id, const env::Random& root, env::TimeNs offset_ns,
                                          int64_t drift_ppb);
  // Opens storage and starts the node. On failure the server stays down.
  absl::Status StartServer(env::NodeId id);
  void StopServer(env::NodeId id);
  // Crash, with the reason a trace shows ("" for a planned fault).
  bool CrashFor(env::NodeId id, const char* reason);
  // Restart, with the reason a trace shows ("" for a planned fault).
  bool RestartFor(env::NodeId id, const char* reason);
  // The process dies with power loss: storage objects and the node go, the
  // disk keeps only what was synced, pending events are dropped.
  void Kill(env::NodeId id);

  Scheduler& scheduler_;
  KvClusterOptions options_;
  node::Cluster cluster_;
  std::vector<Server> servers_;
  std::vector<Client> clients_;
  std::unique_ptr<SimNetwork> network_;
  int64_t start_failures_ = 0;
  std::string last_start_failure_;
};

}  // namespace kv::sim
