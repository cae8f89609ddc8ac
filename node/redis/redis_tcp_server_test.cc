#include "node/redis/redis_tcp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "node/env/check.h"

namespace kv::redis {
namespace {

// Sends `request` on a fresh loopback connection and returns everything the
// server sends until it closes the connection.
std::string Exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  KV_CHECK_GE(fd, 0);
  timeval tv{10, 0};  // A hung server fails the test instead of hanging it.
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  KV_CHECK_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  KV_CHECK_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string out;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

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
