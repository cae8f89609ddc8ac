#include "sim/cluster/pingack_cluster.h"

#include <utility>

#include "node/env/check.h"

namespace kv::sim {
namespace {
constexpr uint64_t kNodeStream = 0x4e4f444500000000ULL;     // "NODE"
constexpr uint64_t kNetworkStream = 0x4e45540000000000ULL;  // "NET"
}  // namespace

PingAckCluster::PingAckCluster(Scheduler& scheduler, const env::Random& root,
                               const PingAckClusterOptions& options,
                               properties::PingAckChecker& checker)
    : scheduler_(scheduler), options_(options), checker_(checker) {
  KV_CHECK_GE(options.node_count, 2);
  std::vector<NodeContext*> contexts;
  nodes_.resize(options.node_count);
  for (int i = 0; i < options.node_count; ++i) {
    const env::TimeNs offset = i < static_cast<int>(options.clock_offset_ns.size()) ? options.clock_offset_ns[i] : 0;
    const int64_t drift = i < static_cast<int>(options.clock_drift_ppb.size()) ? options.clock_drift_ppb[i] : 0;
    nodes_[i].process = std::make_unique<SimProcess>(scheduler_, i, root.Derive(kNodeStream | i), offset, drift,
                                                     options.memory_limit_bytes);
    contexts.push_back(&nodes_[i].process->context());
  }
  network_ = std::make_unique<SimNetwork>(scheduler_, contexts, root.Derive(kNetworkStream),
                                          options.link);
  for (int i = 0; i < options.node_count; ++i) nodes_[i].process->AttachNetwork(network_->endpoint(i));
}

PingAckCluster::~PingAckCluster() {
  // Logic first: it releases memory reservations and cancels timers.
  for (Node& n : nodes_) n.logic.reset();
}

void PingAckCluster::Start() {
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) StartLogic(i);
}

void PingAckCluster::StartLogic(env::NodeId id) {
  std::vector<env::NodeId> peers;
  for (env::NodeId p = 0; p < nodes_.size(); ++p) {
    if (p != id) peers.push_back(p);
  }
  Node& n = nodes_[id];
  n.logic = std::make_unique<pingack::PingAckNode>(n.process->env(), std::move(peers), options_.protocol,
                                                   &checker_);
  n.logic->Start();
  if (!issuing_) n.logic->StopIssuing();
}

void PingAckCluster::StopIssuing() {
  issuing_ = false;
  for (Node& n : nodes_) {
    if (n.logic) n.logic->StopIssuing();
  }
}

size_t PingAckCluster::outstanding_count() const {
  size_t count = 0;
  for (const Node& n : nodes_) {
    if (n.logic) count += n.logic->outstanding_count();
  }
  return count;
}

namespace {
void Accumulate(pingack::PingAckStats& t, const pingack::PingAckStats& s) {
  t.issued += s.issued;
  t.acked += s.acked;
  t.retries += s.retries;
  t.processed += s.processed;
  t.duplicates_suppressed += s.duplicates_suppressed;
  t.stale_acks += s.stale_acks;
  t.decode_errors += s.decode_errors;
  t.send_errors += s.send_errors;
  t.budget_refusals += s.budget_refusals;
}
}  // namespace

pingack::PingAckStats PingAckCluster::TotalStats() const {
  pingack::PingAckStats total = past_stats_;
  for (const Node& n : nodes_) {
    if (n.logic) Accumulate(total, n.logic->stats());
  }
  return total;
}

bool PingAckCluster::Crash(env::NodeId id) {
  Node& n = nodes_[id];
  if (!n.process->context().up()) return false;
  Accumulate(past_stats_, n.logic->stats());
  n.logic.reset();
  n.process->clock().DropAllTimers();
  n.process->context().Crash();
  checker_.NoteCrash(id);
  return true;
}

bool PingAckCluster::Restart(env::NodeId id) {
  Node& n = nodes_[id];
  if (n.process->context().up()) return false;
  n.process->context().Restart();
  StartLogic(id);
  return true;
}

bool PingAckCluster::Pause(env::NodeId id, env::DurationNs duration_ns) {
  Node& n = nodes_[id];
  if (!n.process->context().up() || n.process->context().paused()) return false;
  n.process->context().PauseUntil(scheduler_.now_ns() + duration_ns);
  return true;
}

bool PingAckCluster::SetClockDrift(env::NodeId id, int64_t drift_ppb) {
  Node& n = nodes_[id];
  if (n.process->clock().drift_ppb() == drift_ppb) return false;
  n.process->clock().SetDriftPpb(drift_ppb);
  return true;
}

bool PingAckCluster::SetMemoryLimit(env::NodeId id, int64_t limit_bytes) {
  Node& n = nodes_[id];
  if (n.process->memory().limit_bytes() == limit_bytes) return false;
  n.process->memory().SetLimit(limit_bytes);
  return true;
}

}  // namespace kv::sim
