#include "node/backend/raw_tcp_server.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "node/backend/testing/loopback_client.h"

namespace kv::backend {
namespace {

using testing::AfterRequest;
using testing::Exchange;

// A client that sends two requests and shuts its sending side gets both
// answers, although the handler answers each a few milliseconds later
// (as a RESP command that runs on the cluster does). The server once closed
// the connection at the end of the stream, as nothing was queued to write
// yet, and both replies were lost.
TEST(RawTcpServerTest, HalfClosedClientGetsEveryReplyOwed) {
  auto loop = std::move(*MakeEventLoop(BackendKind::kEpoll));
  int owed = 0;
  std::unique_ptr<RawTcpServer> server;
  server = std::make_unique<RawTcpServer>(
      *loop, "test", 1 << 20,
      [&](uint64_t id, std::string& input) {
        for (size_t end = input.find('\n'); end != std::string::npos; end = input.find('\n')) {
          std::string reply = "re:" + input.substr(0, end + 1);
          input.erase(0, end + 1);
          ++owed;
          loop->After(2 * env::kMillisecond, [&, id, reply] {
            --owed;
            server->Reply(id, reply);
          });
        }
      },
      [](uint64_t) {});
  server->SetOwesReplies([&](uint64_t) { return owed > 0; });
  auto port = server->Listen("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  std::string received;
  std::thread client([&] {
    received = Exchange(*port, "one\ntwo\n", AfterRequest::kShutWrite);
    loop->Post([&] { loop->Stop(); });
  });
  loop->Run();
  client.join();
  EXPECT_EQ(received, "re:one\nre:two\n");
}

// After a reply that closes the connection (a protocol error), the rest of
// the stream is not handed to the handler: it once was, while the reply was
// being written, so requests sent after a protocol error still ran.
TEST(RawTcpServerTest, InputAfterAClosingReplyIsDropped) {
  auto loop = std::move(*MakeEventLoop(BackendKind::kEpoll));
  std::unique_ptr<RawTcpServer> server;
  bool refused = false;
  size_t bytes_after_refusal = 0;
  server = std::make_unique<RawTcpServer>(
      *loop, "test", 8 << 20,
      [&](uint64_t id, std::string& input) {
        if (refused) bytes_after_refusal += input.size();
        if (!refused && input.find("BAD") != std::string::npos) {
          refused = true;
          server->Reply(id, "-ERR bad\r\n", /*close_after=*/true);
        }
        input.clear();
      },
      [](uint64_t) {});
  auto port = server->Listen("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  std::string received;
  std::thread client([&] {
    // More than one read's worth follows the bad request.
    received = Exchange(*port, "BAD\n" + std::string(1 << 20, 'x'));
    loop->Post([&] { loop->Stop(); });
  });
  loop->Run();
  client.join();
  EXPECT_TRUE(refused);
  EXPECT_EQ(bytes_after_refusal, 0u);
  // The close may reset the connection (the client's bytes were left
  // unread) before the reply is read: the reply or nothing, never more.
  EXPECT_TRUE(received.empty() || received == "-ERR bad\r\n") << received;
}

// Input beyond max_input_bytes closed the connection without a word,
// although the Redis listener documents an error reply for it.
TEST(RawTcpServerTest, OversizedInputGetsTheConfiguredReply) {
  auto loop = std::move(*MakeEventLoop(BackendKind::kEpoll));
  RawTcpServer server(*loop, "test", 1000, [](uint64_t, std::string&) {}, [](uint64_t) {});
  server.SetOversizedInputReply("-ERR too large\r\n");
  auto port = server.Listen("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  std::string received;
  std::thread client([&] {
    // One segment, read whole: the close then leaves no unread bytes behind
    // (which would reset the connection and could drop the reply).
    received = Exchange(*port, std::string(1500, 'x'));
    loop->Post([&] { loop->Stop(); });
  });
  loop->Run();
  client.join();
  EXPECT_EQ(received, "-ERR too large\r\n");
}

}  // namespace
}  // namespace kv::backend
