#include "node/kv/cluster_config.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/env/types.h"

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

// tick_interval_ms had no upper bound: 4294967295 (49 days a tick) was
// accepted, and a lost leader went unnoticed for over a year.
TEST(ClusterConfigTest, TickIntervalAboveTheLimitIsRefused) {
  const std::string layout = "nodes { id: 0 } shards { id: 1 replicas: 0 } tick_interval_ms: ";
  for (const char* interval_ms : {"4294967295", "2147483648", "60001"}) {
    auto cluster = Cluster::Parse(layout + interval_ms);
    ASSERT_FALSE(cluster.ok()) << interval_ms;
    EXPECT_EQ(cluster.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(cluster.status().message(),
              absl::StrCat("tick_interval_ms ", interval_ms, " is above the limit of 60000"));
  }
  for (const char* interval_ms : {"60000", "1", "0"}) {
    auto cluster = Cluster::Parse(layout + interval_ms);
    ASSERT_TRUE(cluster.ok()) << interval_ms << ": " << cluster.status();
  }
  EXPECT_EQ(Cluster::Parse(layout + "60000")->tick_interval_ns(), 60 * env::kSecond);
  EXPECT_EQ(Cluster::Parse(layout + "0")->tick_interval_ns(), 10 * env::kMillisecond);
}

// election_ticks: 4294967295 reached the Raft core as an int, and kvnode
// refused to start with "election_timeout_ticks -1 must exceed
// heartbeat_timeout_ticks 1". The file's values are checked here and
// reported as written.
TEST(ClusterConfigTest, TicksAreCheckedAndReportedAsWritten) {
  const std::string layout = "nodes { id: 0 } shards { id: 1 replicas: 0 } ";
  struct Case {
    std::string fields;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"election_ticks: 4294967295", "election_ticks 4294967295 is above the limit of 1048576"},
      {"election_ticks: 2147483648", "election_ticks 2147483648 is above the limit of 1048576"},
      {"election_ticks: 1048577", "election_ticks 1048577 is above the limit of 1048576"},
      {"heartbeat_ticks: 4294967295", "heartbeat_ticks 4294967295 is above the limit of 1048576"},
      {"election_ticks: 5 heartbeat_ticks: 5", "election_ticks 5 must exceed heartbeat_ticks 5"},
      {"heartbeat_ticks: 20", "election_ticks 0 (meaning 10) must exceed heartbeat_ticks 20"},
      {"election_ticks: 1", "election_ticks 1 must exceed heartbeat_ticks 0 (meaning 1)"},
  };
  for (const Case& c : cases) {
    auto cluster = Cluster::Parse(layout + c.fields);
    ASSERT_FALSE(cluster.ok()) << c.fields;
    EXPECT_EQ(cluster.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(cluster.status().message(), c.error);
  }
  for (const char* fields : {"", "election_ticks: 1048576 heartbeat_ticks: 1048575", "election_ticks: 2",
                             "heartbeat_ticks: 9", "election_ticks: 10 heartbeat_ticks: 1"}) {
    auto cluster = Cluster::Parse(layout + fields);
    EXPECT_TRUE(cluster.ok()) << fields << ": " << cluster.status();
  }
}

}  // namespace
}  // namespace kv::node
