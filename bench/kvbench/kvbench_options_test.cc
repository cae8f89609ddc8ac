#include "bench/kvbench/kvbench_options.h"

#include "gtest/gtest.h"

namespace kv::bench {
namespace {

absl::StatusOr<KvbenchOptions> Parse(std::vector<std::string> args) { return ParseKvbenchOptions(args); }

TEST(KvbenchOptionsTest, DefaultsAreTheIssueWorkload) {
  auto o = Parse({"--cluster=/tmp/c.txt"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->protocol, Protocol::kNative);
  EXPECT_EQ(o->read_percent, 70);
  EXPECT_EQ(o->value_bytes, 100);
  EXPECT_EQ(o->clients, 50);
  EXPECT_EQ(o->connections, 50);
  EXPECT_EQ(o->rate, 0);
}

TEST(KvbenchOptionsTest, ParsesAWorkload) {
  auto o = Parse({"--redis=127.0.0.1:6379,127.0.0.1:7102", "--mix=0/100", "--clients=8", "--connections=2",
                  "--pipeline=4", "--rate=1000", "--distribution=zipfian", "--json=out.json", "--pids=1,2",
                  "--preload", "--progress=false"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->protocol, Protocol::kResp);
  EXPECT_EQ(o->redis_addresses.size(), 2u);
  EXPECT_EQ(o->read_percent, 0);
  EXPECT_EQ(o->connections, 2);
  EXPECT_EQ(o->pipeline, 4);
  EXPECT_EQ(o->rate, 1000);
  EXPECT_EQ(o->distribution, KeyDistribution::kZipfian);
  EXPECT_EQ(o->pids, (std::vector<int>{1, 2}));
  EXPECT_TRUE(o->preload);
  EXPECT_FALSE(o->progress);
}

TEST(KvbenchOptionsTest, BadFlagsAreRefusedWithTheirName) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                              // No target.
      {"--cluster=a", "--redis=127.0.0.1:1"},          // Two targets.
      {"--cluster=a", "--mix=70/20"},
      {"--cluster=a", "--mix=abc"},
      {"--cluster=a", "--clients=0"},
      {"--cluster=a", "--keys=-1"},
      {"--cluster=a", "--distribution=pareto"},
      {"--cluster=a", "--rate=-5"},
      {"--cluster=a", "--duration_s=0"},
      {"--cluster=a", "--bogus=1"},
      {"--cluster=a", "positional"},
      {"--cluster=a", "--clients"},
      {"--cluster=a", "--connections=3"},              // Native: not separate.
      {"--redis=nohost"},
      {"--redis=127.0.0.1:1", "--clients=2", "--connections=3"},
      {"--cluster=a", "--pids=x"},
  };
  for (const auto& args : bad) {
    auto o = Parse(args);
    EXPECT_FALSE(o.ok()) << (args.empty() ? "(none)" : args.back());
    if (!o.ok()) {
      EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  auto o = Parse({"--cluster=a", "--clients=zero"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("--clients=zero"), absl::string_view::npos);
}

}  // namespace
}  // namespace kv::bench
