#include "node/kv/cluster_config.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "node/env/types.h"

namespace kv::node {

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
  Cluster cluster;
  cluster.ring_ = std::make_shared<HashRing>(config.virtual_nodes() == 0 ? 128 : config.virtual_nodes());
  const std::vector<uint64_t> ids(shard_ids.begin(), shard_ids.end());
  if (absl::Status s = cluster.ring_->AddAll(ids); !s.ok()) return s;
  cluster.config_ = std::move(config);
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
