#include "node/kv/cluster_config.h"

#include "gtest/gtest.h"

namespace kv::node {
namespace {

// virtual_nodes: 2147483648 in a cluster file once became a negative int
// and failed HashRing's check, aborting kvnode and kvctl at startup.
TEST(ClusterConfigTest, VirtualNodesAboveTheLimitAreRefused) {
  const std::string layout = "nodes { id: 0 } shards { id: 1 replicas: 0 } virtual_nodes: ";
  for (const char* count : {"2147483648", "4294967295", "4097"}) {
    auto cluster = Cluster::Parse(layout + count);
    ASSERT_FALSE(cluster.ok()) << count;
    EXPECT_EQ(cluster.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(cluster.status().message().find("virtual_nodes"), absl::string_view::npos)
        << cluster.status();
  }
  EXPECT_TRUE(Cluster::Parse(layout + "4096").ok());
  EXPECT_TRUE(Cluster::Parse(layout + "0").ok());
}

}  // namespace
}  // namespace kv::node
