#include "node/kv/cluster_fingerprint.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::node {
namespace {

// Three nodes, three shards on all of them, every optional field written.
constexpr absl::string_view kBase =
    "nodes { id: 0 peer_address: \"10.0.0.1:7100\" client_address: \"10.0.0.1:7101\" "
    "redis_address: \"10.0.0.1:7102\" metrics_address: \"10.0.0.1:7103\" }\n"
    "nodes { id: 1 peer_address: \"10.0.0.2:7100\" client_address: \"10.0.0.2:7101\" }\n"
    "nodes { id: 2 peer_address: \"10.0.0.3:7100\" client_address: \"10.0.0.3:7101\" }\n"
    "shards { id: 1 replicas: 0 replicas: 1 replicas: 2 }\n"
    "shards { id: 2 replicas: 0 replicas: 1 replicas: 2 }\n"
    "shards { id: 3 replicas: 0 replicas: 1 replicas: 2 }\n";

uint64_t FingerprintOf(absl::string_view text) {
  absl::StatusOr<Cluster> cluster = Cluster::Parse(text);
  EXPECT_TRUE(cluster.ok()) << cluster.status() << "\n" << text;
  return cluster.ok() ? ClusterFingerprint(*cluster) : 0;
}

// Replaces the one occurrence of `from` in `text`.
std::string Replace(absl::string_view text, const std::string& from, const std::string& to) {
  std::string out(text);
  const size_t at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(out.find(from, at + 1), std::string::npos) << from << " is not unique";
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out;
}

// The encoding is part of the wire protocol: a change refuses every peer
// that runs the previous version. Change this value only on purpose, and say
// in docs/operating.md that a rolling upgrade across the change is refused.
TEST(ClusterFingerprintTest, ValueIsPinned) {
  EXPECT_EQ(FormatClusterFingerprint(FingerprintOf(kBase)), "5106efabd7bff940");
  EXPECT_EQ(FormatClusterFingerprint(0), "0000000000000000");
  EXPECT_EQ(FormatClusterFingerprint(0xabcdef), "0000000000abcdef");
}

TEST(ClusterFingerprintTest, SameConfigurationGivesTheSameValue) {
  const uint64_t base = FingerprintOf(kBase);
  EXPECT_EQ(FingerprintOf(kBase), base);
  // Shards listed in another order, and replicas of a shard in another
  // order: neither means anything (the ring sorts shard ids, voters are a set).
  EXPECT_EQ(FingerprintOf(Replace(Replace(kBase, "shards { id: 1 replicas: 0 replicas: 1 replicas: 2 }\n", ""),
                                  "shards { id: 3", "shards { id: 1 replicas: 2 replicas: 0 replicas: 1 }\n"
                                                    "shards { id: 3")),
            base);
  // Defaults written out or left to 0 are the same setting.
  EXPECT_EQ(FingerprintOf(absl::StrCat(kBase, "virtual_nodes: 128 tick_interval_ms: 10 election_ticks: 10 "
                                              "heartbeat_ticks: 1")),
            base);
  EXPECT_EQ(FingerprintOf(absl::StrCat(kBase, "virtual_nodes: 0 tick_interval_ms: 0")), base);
  // A node's own listeners are no other member's business.
  EXPECT_EQ(FingerprintOf(Replace(kBase, "client_address: \"10.0.0.2:7101\"", "client_address: \"10.0.0.2:9999\"")),
            base);
  EXPECT_EQ(FingerprintOf(Replace(kBase, "redis_address: \"10.0.0.1:7102\" metrics_address: \"10.0.0.1:7103\" ",
                                  "")),
            base);
  // Whitespace, comments and field order of the text format.
  EXPECT_EQ(FingerprintOf(absl::StrCat("# the same cluster\n", absl::StrReplaceAll(kBase, {{"\n", "  \n\n"}}))),
            base);
}

TEST(ClusterFingerprintTest, AnyRelevantFieldChangedGivesAnotherValue) {
  const uint64_t base = FingerprintOf(kBase);
  const std::vector<std::pair<std::string, std::string>> changes = {
      {"peer address", Replace(kBase, "peer_address: \"10.0.0.2:7100\"", "peer_address: \"10.0.0.2:7200\"")},
      {"peer host", Replace(kBase, "peer_address: \"10.0.0.3:7100\"", "peer_address: \"10.0.0.4:7100\"")},
      {"one more node", absl::StrCat(kBase, "nodes { id: 3 peer_address: \"10.0.0.4:7100\" }")},
      {"one more shard", absl::StrCat(kBase, "shards { id: 4 replicas: 0 replicas: 1 replicas: 2 }")},
      {"one shard fewer", Replace(kBase, "shards { id: 3 replicas: 0 replicas: 1 replicas: 2 }\n", "")},
      {"shard id", Replace(kBase, "shards { id: 3", "shards { id: 4")},
      {"replication factor", Replace(kBase, "shards { id: 2 replicas: 0 replicas: 1 replicas: 2 }",
                                     "shards { id: 2 replicas: 0 replicas: 1 }")},
      {"replica set", Replace(Replace(kBase, "shards { id: 2 replicas: 0 replicas: 1 replicas: 2 }",
                                      "shards { id: 2 replicas: 0 replicas: 1 }"),
                              "shards { id: 3 replicas: 0 replicas: 1 replicas: 2 }",
                              "shards { id: 3 replicas: 0 replicas: 2 }")},
      {"virtual nodes", absl::StrCat(kBase, "virtual_nodes: 64")},
      {"tick interval", absl::StrCat(kBase, "tick_interval_ms: 20")},
      {"election ticks", absl::StrCat(kBase, "election_ticks: 11")},
      {"heartbeat ticks", absl::StrCat(kBase, "heartbeat_ticks: 2")},
  };
  std::vector<uint64_t> seen = {base};
  for (const auto& [what, text] : changes) {
    const uint64_t changed = FingerprintOf(text);
    EXPECT_NE(changed, base) << what;
    seen.push_back(changed);
  }
  // Each change gives its own value, not merely one other value.
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

// Every string and list is length-prefixed: moving bytes between two
// adjacent addresses, or a replica between two shards, is a change.
TEST(ClusterFingerprintTest, EncodingKeepsFieldBoundaries) {
  const std::string layout = "shards { id: 1 replicas: 0 replicas: 1 }";
  const uint64_t split_late = FingerprintOf(absl::StrCat(
      "nodes { id: 0 peer_address: \"1.2.3.4:71\" } nodes { id: 1 peer_address: \"001.2.3.5:7100\" }", layout));
  const uint64_t split_early = FingerprintOf(absl::StrCat(
      "nodes { id: 0 peer_address: \"1.2.3.4:7100\" } nodes { id: 1 peer_address: \"1.2.3.5:7100\" }", layout));
  EXPECT_NE(split_late, split_early);
  const std::string nodes = "nodes { id: 0 } nodes { id: 1 } ";
  EXPECT_NE(FingerprintOf(nodes + "shards { id: 1 replicas: 0 replicas: 1 } shards { id: 2 replicas: 1 }"),
            FingerprintOf(nodes + "shards { id: 1 replicas: 0 } shards { id: 2 replicas: 0 replicas: 1 }"));
  // The input names its encoding first.
  absl::StatusOr<Cluster> cluster = Cluster::Parse(nodes + "shards { id: 1 replicas: 0 }");
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(ClusterFingerprintInput(*cluster).rfind("kv-cluster-fingerprint-v1", 0), 0u);
}

// Any shuffle of the shards and of each replica list leaves the value alone.
RC_GTEST_PROP(ClusterFingerprintTest, ShardAndReplicaOrderDoNotMatter, ()) {
  const int node_count = *rc::gen::inRange(1, 6);
  const int shard_count = *rc::gen::inRange(1, 8);
  const int replication = *rc::gen::inRange(1, node_count + 1);
  const pb::ClusterConfig layout = Cluster::MakeLayout(node_count, shard_count, replication);
  pb::ClusterConfig shuffled = layout;
  std::vector<pb::ShardConfig> shards(shuffled.shards().begin(), shuffled.shards().end());
  const std::vector<int> shard_order = *rc::gen::unique<std::vector<int>>(
      static_cast<size_t>(shard_count), rc::gen::inRange(0, shard_count));
  shuffled.clear_shards();
  for (int index : shard_order) {
    pb::ShardConfig* shard = shuffled.add_shards();
    *shard = shards[static_cast<size_t>(index)];
    std::vector<uint32_t> replicas(shard->replicas().begin(), shard->replicas().end());
    std::reverse(replicas.begin(), replicas.end());
    if (*rc::gen::arbitrary<bool>()) std::rotate(replicas.begin(), replicas.begin() + 1, replicas.end());
    shard->clear_replicas();
    for (uint32_t r : replicas) shard->add_replicas(r);
  }
  absl::StatusOr<Cluster> a = Cluster::Create(layout);
  absl::StatusOr<Cluster> b = Cluster::Create(shuffled);
  RC_ASSERT(a.ok());
  RC_ASSERT(b.ok());
  RC_ASSERT(ClusterFingerprint(*a) == ClusterFingerprint(*b));
}

}  // namespace
}  // namespace kv::node
