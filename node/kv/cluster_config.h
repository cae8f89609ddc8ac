#pragma once
// ClusterConfig: parsing, validation and the derived views (which shards a
// node hosts, which shard a key belongs to). Layer: node.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "node/kv/cluster.pb.h"
#include "node/kv/hash_ring.h"

namespace kv::node {

// The most ring points per shard a layout may ask for (virtual_nodes).
// The ring holds shards x virtual_nodes points and every client and node
// builds it: 50 million took a node 20 s and 1.1 GB to start, and 2^31 wrapped
// to a negative int, a failed check.
inline constexpr uint32_t kMaxVirtualNodes = 4096;
// The most ticks election_ticks and heartbeat_ticks may ask for: about three
// hours at the default 10 ms tick. The Raft core holds them, and a
// randomized election timeout of up to twice as many, in an int:
// election_ticks: 4294967295 became -1 there.
inline constexpr uint32_t kMaxTimeoutTicks = 1 << 20;
static_assert(kMaxTimeoutTicks <= (1u << 30), "2 * ticks must fit in an int");
// The longest tick_interval_ms: one minute. A Raft tick is the unit of
// every timeout, and a longer one would leave a lost leader unnoticed for
// hours (10 election ticks of 2^32 ms are 16 months). At both limits, a
// randomized election timeout (up to 2 * kMaxTimeoutTicks ticks) is about
// 4 years in nanoseconds, far inside int64.
inline constexpr uint32_t kMaxTickIntervalMs = 60'000;
static_assert(int64_t{2} * kMaxTimeoutTicks * kMaxTickIntervalMs * 1'000'000 < (int64_t{1} << 62),
              "the longest election timeout in nanoseconds must fit in an int64");

class Cluster {
 public:
  // Validates `config`: nodes dense from 0 and unique; shard ids >= 1 and
  // unique; every replica an existing node, no node twice in one shard; at
  // least one shard; virtual_nodes <= kMaxVirtualNodes; tick_interval_ms <=
  // kMaxTickIntervalMs; election_ticks and heartbeat_ticks <=
  // kMaxTimeoutTicks, and heartbeat_ticks below election_ticks (after the
  // defaults for 0). Errors: kInvalidArgument
  // naming the first problem, with the values as written.
  [[nodiscard]] static absl::StatusOr<Cluster> Create(pb::ClusterConfig config);
  // Parses protobuf text format, then validates.
  [[nodiscard]] static absl::StatusOr<Cluster> Parse(absl::string_view text);

  // A layout of `node_count` nodes and `shard_count` shards, replicas placed
  // round-robin (shard s on nodes s-1, s, ... mod N).
  static pb::ClusterConfig MakeLayout(int node_count, int shard_count, int replication_factor);

  const pb::ClusterConfig& config() const { return config_; }
  int node_count() const { return config_.nodes_size(); }
  // The shard a key belongs to.
  uint64_t ShardOf(absl::string_view key) const { return ring_->Lookup(key); }
  // Replica node ids of a shard (empty for an unknown shard); a view of
  // the configuration, valid while this Cluster is (clients look it up on
  // every call, so it is not copied).
  absl::Span<const uint32_t> Replicas(uint64_t shard) const;
  // Shards that `node` hosts, ascending.
  std::vector<uint64_t> ShardsOf(uint32_t node) const;
  std::vector<uint64_t> shard_ids() const;

  // Ring points per shard (the file's virtual_nodes; 0 means 128).
  int virtual_nodes() const { return config_.virtual_nodes() == 0 ? 128 : static_cast<int>(config_.virtual_nodes()); }
  int64_t tick_interval_ns() const;
  int election_ticks() const { return config_.election_ticks() == 0 ? 10 : config_.election_ticks(); }
  int heartbeat_ticks() const { return config_.heartbeat_ticks() == 0 ? 1 : config_.heartbeat_ticks(); }

 private:
  pb::ClusterConfig config_;
  std::shared_ptr<HashRing> ring_;  // Shared: Cluster is copyable.
};

}  // namespace kv::node
