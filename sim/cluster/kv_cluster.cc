#include "sim/cluster/kv_cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/kv/kv_bugs.h"
#include "sim/trace/tracer.h"

namespace kv::sim {
namespace {
constexpr uint64_t kProcessStream = 0x50524f4300000000ULL;  // "PROC"
constexpr uint64_t kDiskStream = 0x4449534b00000000ULL;     // "DISK"
constexpr uint64_t kClientIdStream = 0x434c494400000000ULL; // "CLID"
constexpr uint64_t kNetworkStream = 0x4e45540000000000ULL;  // "NET"

node::Cluster MakeCluster(const KvClusterOptions& o) {
  absl::StatusOr<node::Cluster> cluster =
      node::Cluster::Create(node::Cluster::MakeLayout(o.servers, o.shards, o.replication_factor));
  KV_CHECK(cluster.ok());
  return *std::move(cluster);
}

}  // namespace

KvCluster::KvCluster(Scheduler& scheduler, const env::Random& root, const KvClusterOptions& options)
    : scheduler_(scheduler), options_(options), cluster_(MakeCluster(options)) {
  KV_CHECK_GE(options.servers, 1);
  KV_CHECK_GE(options.clients, 0);
  const int total = options.servers + options.clients;
  servers_.resize(options.servers);
  clients_.resize(options.clients);
  std::vector<NodeContext*> contexts;
  for (int i = 0; i < options.servers; ++i) {
    const env::TimeNs offset = i < static_cast<int>(options.clock_offset_ns.size()) ? options.clock_offset_ns[i] : 0;
    const int64_t drift = i < static_cast<int>(options.clock_drift_ppb.size()) ? options.clock_drift_ppb[i] : 0;
    servers_[i].process = MakeProcess(i, root, offset, drift);
    contexts.push_back(&servers_[i].process->context());
    servers_[i].disk = std::make_unique<storage::SimDisk>(servers_[i].process->clock(),
                                                          root.Derive(kDiskStream | i));
  }
  for (int c = 0; c < options.clients; ++c) {
    clients_[c].process = MakeProcess(options.servers + c, root, 0, 0);
    contexts.push_back(&clients_[c].process->context());
  }
  KV_CHECK_EQ(static_cast<int>(contexts.size()), total);
  network_ = std::make_unique<SimNetwork>(scheduler_, contexts, root.Derive(kNetworkStream), options.link);
  for (int i = 0; i < options.servers; ++i) {
    servers_[i].process->AttachNetwork(network_->endpoint(i), options.buggify);
  }
  env::Random ids = root.Derive(kClientIdStream);
  for (int c = 0; c < options.clients; ++c) {
    SimProcess& p = *clients_[c].process;
    p.AttachNetwork(network_->endpoint(options.servers + c), options.buggify);
    clients_[c].client = std::make_unique<node::KvClient>(p.env(), cluster_, ids.Next64() | 1, options.client);
    clients_[c].client->Start();
  }
  SetDiskFaults(true);
}

KvCluster::~KvCluster() {
  for (Client& c : clients_) c.client.reset();
  for (int i = 0; i < options_.servers; ++i) StopServer(i);
}

std::unique_ptr<SimProcess> KvCluster::MakeProcess(env::NodeId id, const env::Random& root,
                                                   env::TimeNs offset_ns, int64_t drift_ppb) {
  return std::make_unique<SimProcess>(scheduler_, id, root.Derive(kProcessStream | id), offset_ns, drift_ppb,
                                      options_.memory_limit_bytes);
}

absl::Status KvCluster::Start() {
  for (int i = 0; i < options_.servers; ++i) {
    if (absl::Status s = StartServer(i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status KvCluster::StartServer(env::NodeId id) {
  Server& s = servers_[id];
  std::map<uint64_t, storage::LogStorage*> logs;
  for (uint64_t shard : cluster_.ShardsOf(id)) {
    absl::StatusOr<std::unique_ptr<storage::SimLogStorage>> log = storage::SimLogStorage::Open(*s.disk, shard);
    if (!log.ok()) return log.status();
    logs[shard] = log->get();
    s.logs[shard] = *std::move(log);
  }
  absl::StatusOr<std::unique_ptr<storage::SimStateMachineStorage>> state =
      storage::SimStateMachineStorage::Open(
          *s.disk, storage::SimStateMachineOptions{
                       .bug_index_before_data = (options_.node.kv_bugs & node::kAppliedIndexApart) != 0});
  if (!state.ok()) return state.status();
  s.state = *std::move(state);
  node::KvNodeOptions node_options = options_.node;
  node_options.self = id;
  s.node = std::make_unique<node::KvNode>(s.process->env(), cluster_, node_options, std::move(logs), *s.state);
  return s.node->Start();
}

void KvCluster::StopServer(env::NodeId id) {
  Server& s = servers_[id];
  s.node.reset();
  s.state.reset();
  s.logs.clear();
}

bool KvCluster::Crash(env::NodeId id) { return CrashFor(id, ""); }

bool KvCluster::CrashFor(env::NodeId id, const char* reason) {
  if (id >= servers_.size()) return false;
  if (!servers_[id].process->context().up()) return false;
  Kill(id);
  if (trace::Tracer* tracer = scheduler_.tracer()) tracer->Fault(trace::FaultAction::kCrash, id, "", reason);
  return true;
}

void KvCluster::Kill(env::NodeId id) {
  Server& s = servers_[id];
  StopServer(id);
  // The disk's pending sync completes through a clock timer; both go
  // together, or a later sync would wait forever behind the dropped one.
  s.process->clock().DropAllTimers();
  s.disk->Crash();
  s.process->context().Crash();
}

bool KvCluster::Restart(env::NodeId id) { return RestartFor(id, ""); }

bool KvCluster::RestartFor(env::NodeId id, const char* reason) {
  if (id >= servers_.size()) return false;
  Server& s = servers_[id];
  if (s.process->context().up()) return false;
  s.process->context().Restart();
  if (absl::Status started = StartServer(id); !started.ok()) {
    last_start_failure_ = absl::StrCat("node ", id, ": ", started.ToString());
    // The node refuses to start on an I/O error or on state it cannot read
    // (docs/storage.md). The supervisor starts it again after a backoff:
    // a transient fault passes, and corruption fails every start (the
    // liveness phase tolerates that only for a minority).
    ++start_failures_;
    Kill(id);
    s.start_backoff_ns = s.start_backoff_ns == 0
                             ? kFirstStartRetryNs
                             : std::min(2 * s.start_backoff_ns, kMaxStartRetryNs);
    s.retry_start_at_ns = scheduler_.now_ns() + s.start_backoff_ns;
    if (trace::Tracer* tracer = scheduler_.tracer()) {
      tracer->Fault(trace::FaultAction::kStartFailed, id,
                    absl::StrCat("next start in ", s.start_backoff_ns / env::kMillisecond, "ms"),
                    std::string(started.message()));
    }
    return true;
  }
  s.start_backoff_ns = 0;
  s.retry_start_at_ns = -1;
  if (trace::Tracer* tracer = scheduler_.tracer()) tracer->Fault(trace::FaultAction::kRestart, id, "", reason);
  return true;
}

std::optional<env::NodeId> KvCluster::BusiestLeader() const {
  std::optional<env::NodeId> busiest;
  size_t most = 0;
  for (int i = 0; i < options_.servers; ++i) {
    const node::KvNode* node = servers_[i].node.get();
    if (node == nullptr || !servers_[i].process->context().up()) continue;
    size_t leads = 0;
    for (const auto& [shard, replica] : node->replicas()) leads += replica->is_leader();
    if (leads > most) {
      most = leads;
      busiest = static_cast<env::NodeId>(i);
    }
  }
  return busiest;
}

void KvCluster::RestartFailedServers() {
  const env::TimeNs now = scheduler_.now_ns();
  for (int i = 0; i < options_.servers; ++i) {
    Server& s = servers_[i];
    if (s.node != nullptr && s.node->failed()) {
      CrashFor(i, "storage error: fail-stop, the supervisor restarts it");
      RestartFor(i, "");
    } else if (s.retry_start_at_ns >= 0 && now >= s.retry_start_at_ns &&
               !s.process->context().up()) {
      RestartFor(i, "the supervisor starts it again after a failed start");
    }
  }
}

bool KvCluster::Pause(env::NodeId id, env::DurationNs duration_ns) {
  if (id >= servers_.size()) return false;
  NodeContext& c = servers_[id].process->context();
  if (!c.up() || c.paused()) return false;
  c.PauseUntil(scheduler_.now_ns() + duration_ns);
  if (trace::Tracer* tracer = scheduler_.tracer()) tracer->Fault(trace::FaultAction::kPause, id, "", "", duration_ns);
  return true;
}

bool KvCluster::SetClockDrift(env::NodeId id, int64_t drift_ppb) {
  if (id >= servers_.size()) return false;
  SimClock& clock = servers_[id].process->clock();
  if (clock.drift_ppb() == drift_ppb) return false;
  clock.SetDriftPpb(drift_ppb);
  if (trace::Tracer* tracer = scheduler_.tracer()) {
    tracer->Fault(trace::FaultAction::kClockDrift, id, absl::StrCat(drift_ppb >= 0 ? "+" : "", drift_ppb, "ppb"));
  }
  return true;
}

bool KvCluster::SetMemoryLimit(env::NodeId id, int64_t limit_bytes) {
  if (id >= servers_.size()) return false;
  env::MemoryBudget& memory = servers_[id].process->memory();
  if (memory.limit_bytes() == limit_bytes) return false;
  if (trace::Tracer* tracer = scheduler_.tracer()) {
    tracer->Fault(trace::FaultAction::kMemoryLimit, id,
                  absl::StrCat(memory.limit_bytes(), " -> ", limit_bytes, " bytes"),
                  absl::StrCat(memory.used_bytes(), " bytes in use"));
  }
  memory.SetLimit(limit_bytes);
  return true;
}

void KvCluster::SetDiskFaults(bool on) {
  storage::SimDiskFaults faults = on ? options_.disk_faults : storage::SimDiskFaults{};
  if (!on) faults.torn_write_ppm = options_.disk_faults.torn_write_ppm;  // Crash model, not a fault.
  for (Server& s : servers_) s.disk->SetFaults(faults);
  if (trace::Tracer* tracer = scheduler_.tracer()) {
    const bool any = faults.write_error_ppm + faults.disk_full_ppm + faults.sync_failure_ppm +
                         faults.read_corruption_ppm + faults.latency_spike_ppm > 0;
    tracer->Fault(trace::FaultAction::kDiskFaults, -1, any ? "on" : "off",
                  absl::StrCat("write_error=", faults.write_error_ppm, " disk_full=", faults.disk_full_ppm,
                               " sync_failure=", faults.sync_failure_ppm, " read_corruption=",
                               faults.read_corruption_ppm, " latency_spike=", faults.latency_spike_ppm, " ppm"));
  }
}

storage::SimDiskCounters KvCluster::disk_counters() const {
  storage::SimDiskCounters total;
  for (const Server& s : servers_) {
    const storage::SimDiskCounters& c = s.disk->counters();
    total.write_errors += c.write_errors;
    total.disk_full_errors += c.disk_full_errors;
    total.sync_failures += c.sync_failures;
    total.read_corruptions += c.read_corruptions;
    total.latency_spikes += c.latency_spikes;
    total.torn_writes += c.torn_writes;
    total.lost_operations += c.lost_operations;
    total.crashes += c.crashes;
    total.syncs += c.syncs;
    total.sync_requests += c.sync_requests;
  }
  return total;
}

int64_t KvCluster::disk_syncs() const {
  int64_t n = 0;
  for (const Server& s : servers_) n += s.disk->counters().syncs;
  return n;
}

}  // namespace kv::sim
