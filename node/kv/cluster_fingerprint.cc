#include "node/kv/cluster_fingerprint.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/env/stable_hash.h"

namespace kv::node {
namespace {

// The encoding's name and version: the first bytes hashed.
constexpr absl::string_view kEncodingTag = "kv-cluster-fingerprint-v1";

// Fixed-width little-endian integers, whatever the host's byte order.
void AppendU32(uint32_t value, std::string& out) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void AppendU64(uint64_t value, std::string& out) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// A length prefix keeps ("ab", "c") apart from ("a", "bc").
void AppendString(absl::string_view value, std::string& out) {
  AppendU32(static_cast<uint32_t>(value.size()), out);
  out.append(value.data(), value.size());
}

}  // namespace

std::string ClusterFingerprintInput(const Cluster& cluster) {
  const pb::ClusterConfig& config = cluster.config();
  std::string out(kEncodingTag);
  // Nodes: validation fixed their order as the id order.
  AppendU32(static_cast<uint32_t>(config.nodes_size()), out);
  for (const pb::NodeConfig& node : config.nodes()) {
    AppendU32(node.id(), out);
    AppendString(node.peer_address(), out);
  }
  // Shards by id, each replica set ascending: the order in the file means
  // nothing (the ring is built from the sorted ids, Raft voters are a set).
  const std::vector<uint64_t> shard_ids = cluster.shard_ids();
  AppendU32(static_cast<uint32_t>(shard_ids.size()), out);
  for (uint64_t shard : shard_ids) {
    AppendU64(shard, out);
    const absl::Span<const uint32_t> span = cluster.Replicas(shard);
    std::vector<uint32_t> replicas(span.begin(), span.end());
    std::sort(replicas.begin(), replicas.end());
    AppendU32(static_cast<uint32_t>(replicas.size()), out);
    for (uint32_t replica : replicas) AppendU32(replica, out);
  }
  // Effective values: a 0 meaning the default hashes as the default.
  AppendU32(cluster.virtual_nodes(), out);
  AppendU64(static_cast<uint64_t>(cluster.tick_interval_ns()), out);
  AppendU32(static_cast<uint32_t>(cluster.election_ticks()), out);
  AppendU32(static_cast<uint32_t>(cluster.heartbeat_ticks()), out);
  return out;
}

uint64_t ClusterFingerprint(const Cluster& cluster) {
  return env::StableHash64(ClusterFingerprintInput(cluster));
}

std::string FormatClusterFingerprint(uint64_t fingerprint) {
  return absl::StrCat(absl::Hex(fingerprint, absl::kZeroPad16));
}

}  // namespace kv::node
