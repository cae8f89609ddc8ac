#include "node/redis/redis_tcp_server.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "node/backend/testing/loopback_client.h"

namespace kv::redis {
namespace {

using backend::testing::Exchange;

// Commands pipelined before a protocol error are answered, in order, and
// then the error: the error once went out at once and the connection closed
// without their replies (a SET before it could take effect unanswered).
TEST(RedisTcpServerTest, CommandsBeforeAProtocolErrorAreAnsweredFirst) {
  auto loop = std::move(*backend::MakeEventLoop(backend::BackendKind::kEpoll));
  env::MemoryBudget budget(64 << 20);
  env::Random random(1);
  auto cluster = node::Cluster::Create(node::Cluster::MakeLayout(1, 1, 1));
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  RedisTcpServer server(*loop, budget, *cluster, random);
  auto port = server.Listen("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  std::string received;
  std::thread client([&] {
    received = Exchange(*port, "PING\r\nECHO hi\r\n*1\r\n$x\r\nPING\r\n");
    loop->Post([&] { loop->Stop(); });
  });
  loop->Run();
  client.join();
  EXPECT_EQ(received, "+PONG\r\n$2\r\nhi\r\n-ERR Protocol error: invalid bulk length\r\n");
}

}  // namespace
}  // namespace kv::redis
