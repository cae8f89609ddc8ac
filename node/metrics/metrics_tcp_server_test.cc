#include "node/metrics/metrics_tcp_server.h"

#include <thread>

#include "gtest/gtest.h"

namespace kv::metrics {
namespace {

TEST(MetricsTcpServerTest, ServesMetricsAndRefusesOtherPaths) {
  auto loop = std::move(*backend::MakeEventLoop(backend::BackendKind::kEpoll));
  MetricsTcpServer server(*loop, [] { return std::string("kv_up 1\n"); });
  auto port = server.Listen("127.0.0.1:0");
  ASSERT_TRUE(port.ok());
  const std::string address = "127.0.0.1:" + std::to_string(*port);
  absl::StatusOr<std::string> ok, missing, bad;
  std::thread client([&] {
    ok = HttpGetForTcp(address, "/metrics", 5000);
    missing = HttpGetForTcp(address, "/nope", 5000);
    bad = HttpGetForTcp(address, "x y", 5000);
    loop->Stop();
  });
  loop->Run();
  client.join();
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "kv_up 1\n");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(server.requests(), 1u);
}

}  // namespace
}  // namespace kv::metrics
