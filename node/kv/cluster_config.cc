#include "node/kv/cluster_config.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "node/env/types.h"

namespace kv::node {
namespace {

// A tick count as the cluster file wrote it, with the default it stands for
// when it is 0: "0 (meaning 10)".
std::string TicksAsWritten(uint32_t written, int effective) {
  if (written != 0) return absl::StrCat(written);
  return absl::StrCat("0 (meaning ", effective, ")");
}

absl::Status CheckTicksLimit(absl::string_view name, uint32_t ticks) {
  if (ticks <= kMaxTimeoutTicks) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, " ", ticks, " is above the limit of ", kMaxTimeoutTicks));
}

// election_ticks and heartbeat_ticks are uint32 in the file but int in the
// Raft core, which refused 4294967295 as "-1". Checked here, they are
// reported as written and under the file's names. The defaults for 0 are
// those of election_ticks() and heartbeat_ticks().
absl::Status ValidateTicks(const pb::ClusterConfig& config) {
  if (absl::Status s = CheckTicksLimit("election_ticks", config.election_ticks()); !s.ok()) return s;
  if (absl::Status s = CheckTicksLimit("heartbeat_ticks", config.heartbeat_ticks()); !s.ok()) return s;
  const int election_ticks = config.election_ticks() == 0 ? 10 : static_cast<int>(config.election_ticks());
  const int heartbeat_ticks = config.heartbeat_ticks() == 0 ? 1 : static_cast<int>(config.heartbeat_ticks());
  if (heartbeat_ticks >= election_ticks) {
    return absl::InvalidArgumentError(absl::StrCat(
        "election_ticks ", TicksAsWritten(config.election_ticks(), election_ticks),
        " must exceed heartbeat_ticks ", TicksAsWritten(config.heartbeat_ticks(), heartbeat_ticks)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Cluster> Cluster::Parse(absl::string_view text) {
  pb::ClusterConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError("cluster config is not valid protobuf text format");
  }
  return Create(std::move(config));
}

absl::StatusOr<Cluster> Cluster::Create(pb::ClusterConfig config) {
  if (config.nodes_size() == 0) return absl::InvalidArgumentError("cluster config has no nodes");
  for (int i = 0; i < config.nodes_size(); ++i) {
    if (config.nodes(i).id() != static_cast<uint32_t>(i)) {
      return absl::InvalidArgumentError(absl::StrCat("node #", i, " has id ", config.nodes(i).id(),
                                                     "; ids must be 0, 1, 2, ... in order"));
    }
  }
  if (config.shards_size() == 0) return absl::InvalidArgumentError("cluster config has no shards");
  std::set<uint64_t> shard_ids;
  for (const pb::ShardConfig& shard : config.shards()) {
    if (shard.id() == 0) return absl::InvalidArgumentError("shard id 0 is reserved; use ids >= 1");
    if (!shard_ids.insert(shard.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("shard ", shard.id(), " appears twice"));
    }
    if (shard.replicas_size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat("shard ", shard.id(), " has no replicas"));
    }
    std::set<uint32_t> replicas;
    for (uint32_t r : shard.replicas()) {
      if (r >= static_cast<uint32_t>(config.nodes_size())) {
        return absl::InvalidArgumentError(absl::StrCat("shard ", shard.id(), " names node ", r,
                                                       ", but the cluster has ", config.nodes_size()));
      }
      if (!replicas.insert(r).second) {
        return absl::InvalidArgumentError(absl::StrCat("shard ", shard.id(), " lists node ", r, " twice"));
      }
    }
  }
  if (config.virtual_nodes() > kMaxVirtualNodes) {
    return absl::InvalidArgumentError(absl::StrCat("virtual_nodes ", config.virtual_nodes(),
                                                   " is above the limit of ", kMaxVirtualNodes));
  }
  if (config.tick_interval_ms() > kMaxTickIntervalMs) {
    return absl::InvalidArgumentError(absl::StrCat("tick_interval_ms ", config.tick_interval_ms(),
                                                   " is above the limit of ", kMaxTickIntervalMs));
  }
  if (absl::Status s = ValidateTicks(config); !s.ok()) return s;
  Cluster cluster;
  cluster.config_ = std::move(config);
  cluster.ring_ = std::make_shared<HashRing>(cluster.virtual_nodes());
  const std::vector<uint64_t> ids(shard_ids.begin(), shard_ids.end());
  if (absl::Status s = cluster.ring_->AddAll(ids); !s.ok()) return s;
  return cluster;
}

pb::ClusterConfig Cluster::MakeLayout(int node_count, int shard_count, int replication_factor) {
  pb::ClusterConfig config;
  for (int n = 0; n < node_count; ++n) config.add_nodes()->set_id(n);
  for (int s = 1; s <= shard_count; ++s) {
    pb::ShardConfig* shard = config.add_shards();
    shard->set_id(s);
    for (int r = 0; r < replication_factor && r < node_count; ++r) {
      shard->add_replicas((s - 1 + r) % node_count);
    }
  }
  return config;
}

absl::Span<const uint32_t> Cluster::Replicas(uint64_t shard) const {
  for (const pb::ShardConfig& s : config_.shards()) {
    if (s.id() == shard) return absl::MakeConstSpan(s.replicas().data(), s.replicas().size());
  }
  return {};
}

std::vector<uint64_t> Cluster::ShardsOf(uint32_t node) const {
  std::vector<uint64_t> shards;
  for (const pb::ShardConfig& s : config_.shards()) {
    for (uint32_t r : s.replicas()) {
      if (r == node) shards.push_back(s.id());
    }
  }
  std::sort(shards.begin(), shards.end());
  return shards;
}

std::vector<uint64_t> Cluster::shard_ids() const {
  std::vector<uint64_t> ids;
  for (const pb::ShardConfig& s : config_.shards()) ids.push_back(s.id());
  std::sort(ids.begin(), ids.end());
  return ids;
}

int64_t Cluster::tick_interval_ns() const {
  return static_cast<int64_t>(config_.tick_interval_ms() == 0 ? 10 : config_.tick_interval_ms()) *
         env::kMillisecond;
}

}  // namespace kv::node
