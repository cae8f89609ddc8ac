#include "node/kvnode/kvnode_server.h"

#include <signal.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/backend/backend_log.h"
#include "node/backend/os_entropy.h"
#include "node/env/status_macros.h"
#include "node/kv/cluster_fingerprint.h"
#include "node/metrics/prometheus_text.h"

namespace kv::kvnode {
namespace {

using backend::Log;
using backend::LogFieldValue;
using backend::LogLevel;

constexpr env::DurationNs kWatchdogIntervalNs = 50 * env::kMillisecond;
// Shutdown drain: how often it checks for in-flight requests, and how long
// after the drain deadline replies may still take to leave.
constexpr env::DurationNs kDrainPollNs = 5 * env::kMillisecond;
constexpr int64_t kShutdownWriteGraceMs = 200;

// Creates the data directory if needed and takes an exclusive lock on
// DIR/kvnode.lock for the life of the process, so a bad directory or a
// second kvnode on it gets a clear error before RocksDB is touched.
absl::StatusOr<int> PrepareDataDir(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (!std::filesystem::is_directory(path, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", path, " is not a directory and cannot be created",
                     error ? absl::StrCat(": ", error.message()) : std::string()));
  }
  const std::string lock_path = path + "/kvnode.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", path, " is not writable: ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", path, " is in use by another kvnode (", lock_path, " is locked)"));
  }
  return fd;
}

}  // namespace

void KvnodeServer::BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

absl::StatusOr<std::unique_ptr<KvnodeServer>> KvnodeServer::Start(const KvnodeConfig& config) {
  std::unique_ptr<KvnodeServer> server(new KvnodeServer(config));
  KV_RETURN_IF_ERROR(server->Init());
  return server;
}

absl::Status KvnodeServer::Init() {
  backend::SetLogLevel(config_.log_level);
  KV_ASSIGN_OR_RETURN(node::Cluster cluster, LoadCluster(config_));
  cluster_ = std::make_unique<node::Cluster>(std::move(cluster));
  const auto self = static_cast<env::NodeId>(config_.node_id);
  const node::pb::NodeConfig& me = cluster_->config().nodes(static_cast<int>(self));

  budget_ = std::make_unique<env::MemoryBudget>(config_.memory_limit_bytes);
  KV_ASSIGN_OR_RETURN(loop_, backend::MakeEventLoop(config_.backend));
  backend::TcpNetworkOptions network_options;
  network_options.self = self;
  network_options.cluster_fingerprint = cluster_fingerprint_ = node::ClusterFingerprint(*cluster_);
  for (const auto& node : cluster_->config().nodes()) {
    if (node.id() != self) network_options.peers[node.id()] = node.peer_address();
  }
  network_options.max_queued_bytes_per_connection =
      std::min<int64_t>(64ll << 20, config_.memory_limit_bytes / 4);
  network_ = std::make_unique<backend::TcpNetwork>(*loop_, *budget_, network_options);
  // A real node's randomness (election jitter, redis client ids) needs no
  // reproducibility; seed it from the OS.
  random_ = std::make_unique<env::Random>(backend::OsEntropySeed());
  metered_ = std::make_unique<KvnodeMeteredNetwork>(*network_, *loop_);
  env_ = std::make_unique<env::Env>(env::Env{*loop_, *metered_, *loop_, *random_, *budget_});

  KV_ASSIGN_OR_RETURN(lock_fd_, PrepareDataDir(config_.data_dir));
  storage::RocksDbOptions db_options;
  db_options.path = config_.data_dir;
  db_options.block_cache_bytes = static_cast<uint64_t>(config_.block_cache_bytes);
  absl::StatusOr<std::unique_ptr<storage::RocksDb>> db = storage::RocksDb::Open(db_options);
  if (!db.ok()) {
    return absl::Status(db.status().code(), absl::StrCat("data directory ", config_.data_dir, ": ",
                                                         db.status().message()));
  }
  db_ = std::move(*db);
  KV_ASSIGN_OR_RETURN(state_, storage::RocksStateMachineStorage::Open(*db_, *loop_));
  std::map<uint64_t, storage::LogStorage*> logs;
  for (uint64_t shard : cluster_->ShardsOf(self)) {
    KV_ASSIGN_OR_RETURN(auto log, storage::RocksLogStorage::Open(*db_, *loop_, shard));
    logs[shard] = log.get();
    logs_[shard] = std::move(log);
  }
  node::KvNodeOptions node_options;
  node_options.self = self;
  node_ = std::make_unique<node::KvNode>(*env_, *cluster_, node_options, logs, *state_);
  KV_RETURN_IF_ERROR(node_->Start());

  KV_RETURN_IF_ERROR(network_->Listen(me.peer_address(), backend::ListenerKind::kPeer).status());
  KV_RETURN_IF_ERROR(network_->Listen(me.client_address(), backend::ListenerKind::kClient).status());
  if (!me.metrics_address().empty()) {
    metrics_ = std::make_unique<metrics::MetricsTcpServer>(*loop_, [this] { return RenderMetrics(); });
    KV_RETURN_IF_ERROR(metrics_->Listen(me.metrics_address()).status());
  }
  if (!me.redis_address().empty()) {
    redis_ = std::make_unique<redis::RedisTcpServer>(*loop_, *budget_, *cluster_, *random_);
    KV_RETURN_IF_ERROR(redis_->Listen(me.redis_address()).status());
  }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  signal_fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return absl::UnavailableError(absl::StrCat("signalfd: ", std::strerror(errno)));
  KV_RETURN_IF_ERROR(loop_->Watch(signal_fd_, false, [this](uint32_t) {
    signalfd_siginfo info{};
    if (::read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
      BeginShutdown(info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
    }
  }));
  loop_->After(kWatchdogIntervalNs, [this] { Watchdog(); });
  ProbeSync();
  Log(LogLevel::kInfo, "kvnode", "started",
      absl::StrCat("node=", self, " backend=", loop_->name(), " io=", loop_->io_mode(),
                   " peer=", LogFieldValue(me.peer_address()), " client=", LogFieldValue(me.client_address()),
                   " redis=", LogFieldValue(me.redis_address()),
                   " metrics=", LogFieldValue(me.metrics_address()),
                   " data_dir=", LogFieldValue(config_.data_dir),
                   " shards=", logs_.size(),
                   " cluster_fingerprint=", node::FormatClusterFingerprint(cluster_fingerprint_)));
  return absl::OkStatus();
}

KvnodeServer::~KvnodeServer() {
  *alive_ = false;
  if (loop_ != nullptr && signal_fd_ >= 0) loop_->Unwatch(signal_fd_);
  if (signal_fd_ >= 0) ::close(signal_fd_);
  // Logic first (it may hold timers and reservations), then storage: the
  // RocksDb destructor completes outstanding syncs; their completions are
  // posted to the stopped loop and discarded with it.
  redis_.reset();
  metrics_.reset();
  node_.reset();
  logs_.clear();
  state_.reset();
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // Releases the data directory lock.
}

void KvnodeServer::Watchdog() {
  for (const auto& [shard, replica] : node_->replicas()) {
    const uint64_t leader = replica->raft().leader_id();
    auto [it, inserted] = last_leader_.emplace(shard, leader);
    if (!inserted && it->second != leader) {
      if (leader != 0) ++leader_changes_[shard];
      it->second = leader;
    }
    if (std::optional<std::string> fields = snapshot_refusals_.Observe(
            loop_->NowNs(), shard, replica->snapshots_refused(), replica->last_snapshot_refusal())) {
      Log(LogLevel::kWarn, "kvnode", "cannot make a snapshot for a lagging follower; it waits", *fields);
    }
  }
  if (node_->failed() && !storage_failed_) {
    storage_failed_ = true;
    Log(LogLevel::kError, "kvnode", "storage failed; stopping (fail-stop: restart the node)");
    loop_->Stop();
    return;
  }
  loop_->After(kWatchdogIntervalNs, [this] { Watchdog(); });
}

void KvnodeServer::ProbeSync() {
  // The probe is one more request in the syncer's group commit, so it sees
  // the latency that writes see (queueing behind a running sync included).
  const env::TimeNs start = loop_->NowNs();
  db_->SyncThen(*loop_, [this, alive = alive_, start](absl::Status status) {
    if (!*alive) return;
    if (status.ok()) sync_latency_ns_.Observe(loop_->NowNs() - start);
    loop_->After(200 * env::kMillisecond, [this, alive] {
      if (*alive) ProbeSync();
    });
  });
}

void KvnodeServer::BeginShutdown(absl::string_view why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_started_ns_ = loop_->NowNs();
  drain_pending_at_start_ = node_->pending_request_count();
  Log(LogLevel::kInfo, "kvnode", absl::StrCat("shutting down on ", why),
      absl::StrCat("drain_ms=", config_.shutdown_drain_ms, " in_flight=", drain_pending_at_start_));
  // Stop accepting connections and requests: new requests on open
  // connections are answered "shutting down" (clients retry another node);
  // Raft keeps running so that what is in flight can commit.
  network_->CloseListeners();
  if (metrics_ != nullptr) metrics_->CloseListener();
  if (redis_ != nullptr) {
    redis_->CloseListener();
    redis_->BeginDrain();
  }
  drain_transfers_ = node_->BeginDrain();
  DrainStep();
}

size_t KvnodeServer::InFlight() const {
  return node_->pending_request_count() + (redis_ != nullptr ? redis_->busy_sessions() : 0);
}

void KvnodeServer::DrainStep() {
  const env::DurationNs waited_ns = loop_->NowNs() - shutdown_started_ns_;
  const bool deadline_passed = waited_ns >= config_.shutdown_drain_ms * env::kMillisecond;
  if (InFlight() > 0 && deadline_passed && drain_failed_ == 0) {
    // Past the deadline: answer what is left with a clear error.
    drain_failed_ = InFlight();
    Log(LogLevel::kWarn, "kvnode", "drain deadline passed; failing in-flight requests",
        absl::StrCat("failed=", drain_failed_));
    node_->FailPendingRequests();
  }
  const int64_t unsent = network_->queued_output_bytes() +
                         (redis_ != nullptr ? redis_->queued_output_bytes() : 0);
  // Replies must leave before the sockets close; a client that does not
  // read them gets a bounded grace after the deadline, not forever.
  const bool grace_passed =
      waited_ns >= (config_.shutdown_drain_ms + kShutdownWriteGraceMs) * env::kMillisecond;
  // Leadership handed over before leaving spares the shard an election
  // timeout; waited for within the drain deadline only.
  const bool transferring = drain_transfers_ > 0 && node_->led_shard_count() > 0 && !deadline_passed;
  if ((InFlight() > 0 || unsent > 0 || transferring) && !grace_passed) {
    loop_->After(kDrainPollNs, [this] { DrainStep(); });
    return;
  }
  // Sync storage (the group-commit syncer's fdatasync), then stop the loop;
  // the destructors close RocksDB.
  db_->SyncThen(*loop_, [this, alive = alive_](absl::Status status) {
    if (!*alive) return;
    if (!status.ok()) {
      Log(LogLevel::kError, "kvnode", absl::StrCat("final sync failed: ", status.message()));
      storage_failed_ = true;
    }
    Log(LogLevel::kInfo, "kvnode", "drained",
        absl::StrCat("in_flight_at_start=", drain_pending_at_start_, " failed=", drain_failed_,
                     " leadership_transfers=", drain_transfers_,
                     " waited_ms=", (loop_->NowNs() - shutdown_started_ns_) / env::kMillisecond,
                     " synced=", status.ok() ? "yes" : "no"));
    loop_->Stop();
  });
}

absl::Status KvnodeServer::Run() {
  loop_->Run();
  if (storage_failed_) return absl::DataLossError("storage failed");
  Log(LogLevel::kInfo, "kvnode", "stopped");
  return absl::OkStatus();
}

std::string KvnodeServer::RenderMetrics() {
  metrics::PrometheusWriter w;
  const node::KvNodeStats& s = node_->stats();
  w.Counter("kv_node_requests_total", "Client requests received by this node.", "", s.requests);
  w.Counter("kv_node_responses_total", "Client responses by outcome (non-OK outcomes; OK = requests - the rest).",
            "outcome=\"not_leader\"", s.not_leader);
  w.Counter("kv_node_responses_total", "", "outcome=\"retry_later\"", s.retry_later);
  w.Counter("kv_node_responses_total", "", "outcome=\"invalid\"", s.invalid);
  w.Counter("kv_node_malformed_messages_total", "Messages that did not decode.", "", s.malformed_messages);
  w.Counter("kv_node_peer_batches_sent_total", "Coalesced Raft batches sent.", "", s.peer_batches_sent);
  w.Counter("kv_node_raft_messages_sent_total", "Raft messages sent.", "", s.raft_messages_sent);
  w.Gauge("kv_node_failed", "1 if a replica's storage failed.", "", node_->failed() ? 1 : 0);
  w.Gauge("kv_cluster_fingerprint_info",
          "Always 1; the label is this node's cluster fingerprint (peers must all show the same).",
          absl::StrCat("fingerprint=\"", node::FormatClusterFingerprint(cluster_fingerprint_), "\""), 1);
  for (const auto& [shard, replica] : node_->replicas()) {
    const std::string l = absl::StrCat("shard=\"", shard, "\"");
    const raft::Raft& r = replica->raft();
    w.Gauge("kv_raft_term", "Current Raft term per shard.", l, static_cast<int64_t>(r.term()));
    w.Gauge("kv_raft_commit_index", "Raft commit index per shard.", l,
            static_cast<int64_t>(r.log().committed()));
    w.Gauge("kv_raft_applied_index", "Applied index per shard.", l,
            static_cast<int64_t>(replica->applied_index()));
    w.Gauge("kv_raft_leader_id", "Known leader node id + 1 per shard (0: unknown).", l,
            static_cast<int64_t>(r.leader_id()));
    w.Gauge("kv_raft_is_leader", "1 if this node leads the shard.", l, replica->is_leader() ? 1 : 0);
    w.Counter("kv_raft_leader_changes_total", "Leader changes seen by this node per shard.", l,
              leader_changes_[shard]);
    w.Counter("kv_snapshots_made_total", "Snapshots made for followers per shard.", l, replica->snapshots_made());
    w.Counter("kv_snapshots_refused_total",
              "Times a snapshot a follower needed could not be made per shard (retried later).", l,
              replica->snapshots_refused());
  }
  w.Gauge("kv_memory_budget_used_bytes", "Bytes reserved in the memory budget.", "", budget_->used_bytes());
  w.Gauge("kv_memory_budget_limit_bytes", "Memory budget limit.", "", budget_->limit_bytes());
  w.Gauge("kv_memory_budget_peak_bytes", "Highest reserved bytes.", "", budget_->peak_bytes());
  w.Counter("kv_memory_budget_refusals_total", "Refused reservations.", "",
            static_cast<uint64_t>(budget_->refusal_count()));
  const backend::TcpNetworkStats& n = network_->stats();
  w.Counter("kv_net_frames_sent_total", "Frames queued for sending.", "", n.frames_sent);
  w.Counter("kv_net_frames_received_total", "Frames received.", "", n.frames_received);
  w.Counter("kv_net_writes_total", "write(2) calls (coalescing: fewer than frames).", "", n.writes);
  w.Counter("kv_net_bytes_written_total", "Bytes written.", "", n.bytes_written);
  w.Counter("kv_net_bad_frames_total", "Malformed frames (connection closed).", "", n.bad_frames);
  w.Counter("kv_net_connections_accepted_total", "Accepted connections.", "", n.connections_accepted);
  w.Counter("kv_net_send_refused_total", "Sends refused (buffer full).", "", n.send_refused);
  w.Counter("kv_net_read_pauses_total",
            "Times a connection stopped being read (back-pressure: budget full or unread replies).", "",
            n.read_pauses);
  w.Counter("kv_net_peer_hellos_refused_total",
            "Peer connections refused at the hello: another cluster fingerprint (a different cluster "
            "file), or none (an older kvnode). Malformed hellos count in kv_net_bad_frames_total.",
            "reason=\"cluster_fingerprint_mismatch\"", n.hello_fingerprint_mismatches);
  w.Counter("kv_net_peer_hellos_refused_total", "", "reason=\"no_cluster_fingerprint\"",
            n.hellos_without_fingerprint);
  w.Gauge("kv_net_client_connections", "Open client connections.", "",
          static_cast<int64_t>(network_->client_connection_count()));
  w.Counter("kv_storage_syncs_total", "WAL syncs (fdatasync) done by the group-commit syncer.", "",
            static_cast<uint64_t>(db_->syncer().sync_count()));
  w.Counter("kv_storage_sync_requests_total", "Sync requests (requests / syncs = group-commit batch).", "",
            static_cast<uint64_t>(db_->syncer().request_count()));
  w.WriteHistogram("kv_storage_sync_duration_seconds",
                   "Group-commit WAL sync latency, probed every 200 ms.", "", sync_latency_ns_, 1e9);
  metered_->Render(w);
  std::string text = w.text();
  if (redis_ != nullptr) text += redis_->RenderMetrics();
  return text;
}

}  // namespace kv::kvnode
