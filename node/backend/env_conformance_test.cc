// Conformance tests of the env seam (docs/env.md) for both real backends:
// the same cases run on EpollLoop and UringLoop.
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "node/backend/event_loop.h"
#include "node/backend/frame_codec.h"
#include "node/backend/tcp_network.h"
#include "node/backend/uring_loop.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kv::backend {
namespace {

constexpr env::DurationNs kTestTimeoutNs = 10 * env::kSecond;

class EnvConformanceTest : public testing::TestWithParam<BackendKind> {
 protected:
  // io_uring may be refused by the kernel or a seccomp profile (containers);
  // that is the environment, not a bug: skip, saying so.
  void SetUp() override {
    if (GetParam() != BackendKind::kEpoll) {
      auto loop = MakeEventLoop(GetParam());
      if (!loop.ok() && loop.status().code() == absl::StatusCode::kUnavailable) {
        GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
      }
    }
  }

  std::unique_ptr<EventLoop> NewLoop() {
    auto loop = MakeEventLoop(GetParam());
    if (!loop.ok()) {
      ADD_FAILURE() << loop.status();
      return nullptr;
    }
    return std::move(*loop);
  }
};

TEST_P(EnvConformanceTest, TimersFireInDeadlineThenSetOrder) {
  auto loop = NewLoop();
  std::vector<int> order;
  loop->After(20 * env::kMillisecond, [&] { order.push_back(3); });
  loop->After(0, [&] { order.push_back(1); });
  loop->After(-5, [&] { order.push_back(2); });  // Negative is zero.
  loop->After(20 * env::kMillisecond, [&] { order.push_back(4); });
  const env::TimeNs start = loop->NowNs();
  ASSERT_TRUE(loop->RunUntil([&] { return order.size() == 4; }, kTestTimeoutNs));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_GE(loop->NowNs() - start, 20 * env::kMillisecond);
}

TEST_P(EnvConformanceTest, TimersNeverRunInlineAndCancelWorks) {
  auto loop = NewLoop();
  bool fired = false;
  env::TimerId id = loop->After(0, [&] { fired = true; });
  EXPECT_FALSE(fired);
  EXPECT_TRUE(loop->Cancel(id));
  EXPECT_FALSE(loop->Cancel(id));
  EXPECT_FALSE(loop->Cancel(env::TimerId{9999}));
  bool other = false;
  loop->After(1 * env::kMillisecond, [&] { other = true; });
  ASSERT_TRUE(loop->RunUntil([&] { return other; }, kTestTimeoutNs));
  EXPECT_FALSE(fired);
}

TEST_P(EnvConformanceTest, CallbackMayCancelItselfAndSetTimers) {
  auto loop = NewLoop();
  env::TimerId self_id;
  int count = 0;
  self_id = loop->After(0, [&] {
    EXPECT_FALSE(loop->Cancel(self_id));  // Already started: not pending.
    loop->After(0, [&] { ++count; });
  });
  ASSERT_TRUE(loop->RunUntil([&] { return count == 1; }, kTestTimeoutNs));
}

TEST_P(EnvConformanceTest, ClockIsMonotonic) {
  auto loop = NewLoop();
  env::TimeNs last = loop->NowNs();
  for (int i = 0; i < 10000; ++i) {
    const env::TimeNs now = loop->NowNs();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST_P(EnvConformanceTest, PostRunsInOrderAfterCurrentCallback) {
  auto loop = NewLoop();
  std::vector<int> order;
  loop->Post([&] {
    loop->Post([&] { order.push_back(3); });
    order.push_back(1);
  });
  loop->Post([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());
  ASSERT_TRUE(loop->RunUntil([&] { return order.size() == 3; }, kTestTimeoutNs));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_P(EnvConformanceTest, PostFromOtherThreadsRunsOnLoopThread) {
  auto loop = NewLoop();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  int ran = 0;  // Touched only on the loop thread.
  const std::thread::id loop_thread = std::this_thread::get_id();
  bool wrong_thread = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        loop->Post([&] {
          if (std::this_thread::get_id() != loop_thread) wrong_thread = true;
          ++ran;
        });
      }
    });
  }
  const bool done = loop->RunUntil([&] { return ran == kThreads * kPerThread; }, kTestTimeoutNs);
  for (auto& t : threads) t.join();
  EXPECT_TRUE(done);
  EXPECT_FALSE(wrong_thread);
}

TEST_P(EnvConformanceTest, StopFromAnotherThreadEndsRun) {
  auto loop = NewLoop();
  std::thread stopper([&] { loop->Stop(); });
  loop->Run();  // Returns only once Stop's wake-up arrives.
  stopper.join();
}

// Runs `loop` until `done()` or the test timeout; returns done().
bool RunUntilOr(EventLoop& loop, absl::AnyInvocable<bool()> done) {
  return loop.RunUntil(std::move(done), kTestTimeoutNs);
}

// Two networks on two loops, on loopback; loops are turned alternately from
// this thread, so the test needs no threads.
struct Pair {
  std::unique_ptr<EventLoop> loop_a, loop_b;
  env::MemoryBudget budget_a{1 << 30}, budget_b{1 << 30};
  std::unique_ptr<TcpNetwork> a, b;
  std::vector<std::pair<env::NodeId, std::string>> got_a, got_b;
};

bool RunBoth(Pair& p, absl::AnyInvocable<bool()> done) {
  const env::TimeNs deadline = p.loop_a->NowNs() + kTestTimeoutNs;
  while (!done()) {
    if (p.loop_a->NowNs() > deadline) return false;
    p.loop_a->RunUntil([] { return false; }, 1 * env::kMillisecond);
    p.loop_b->RunUntil([] { return false; }, 1 * env::kMillisecond);
  }
  return true;
}

// Node 0 (a) and node 1 (b), each started with the given cluster fingerprint.
void MakePair(BackendKind kind, Pair& p, uint64_t fingerprint_a = 0, uint64_t fingerprint_b = 0) {
  p.loop_a = std::move(*MakeEventLoop(kind));
  p.loop_b = std::move(*MakeEventLoop(kind));
  TcpNetworkOptions oa, ob;
  oa.self = 0;
  ob.self = 1;
  oa.cluster_fingerprint = fingerprint_a;
  ob.cluster_fingerprint = fingerprint_b;
  p.a = std::make_unique<TcpNetwork>(*p.loop_a, p.budget_a, oa);
  p.b = std::make_unique<TcpNetwork>(*p.loop_b, p.budget_b, ob);
  auto port_a = p.a->Listen("127.0.0.1:0", ListenerKind::kPeer);
  auto port_b = p.b->Listen("127.0.0.1:0", ListenerKind::kPeer);
  ASSERT_TRUE(port_a.ok() && port_b.ok());
  p.a->SetPeerAddress(1, "127.0.0.1:" + std::to_string(*port_b));
  p.b->SetPeerAddress(0, "127.0.0.1:" + std::to_string(*port_a));
  p.a->SetReceiver([&p](env::NodeId from, absl::string_view bytes) {
    p.got_a.emplace_back(from, std::string(bytes));
  });
  p.b->SetReceiver([&p](env::NodeId from, absl::string_view bytes) {
    p.got_b.emplace_back(from, std::string(bytes));
  });
}

TEST_P(EnvConformanceTest, MessagesCrossLoopbackWholeAndInOrderAndCoalesce) {
  Pair p;
  MakePair(GetParam(), p);
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(p.a->Send(1, absl::StrCat("m", i)).ok());
  }
  ASSERT_TRUE(p.a->Send(1, std::string(1 << 20, 'z')).ok());  // One large message.
  EXPECT_TRUE(p.got_b.empty());  // Never inline.
  ASSERT_TRUE(RunBoth(p, [&] { return p.got_b.size() == kMessages + 1; }));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(p.got_b[i].first, 0u);
    EXPECT_EQ(p.got_b[i].second, absl::StrCat("m", i));
  }
  EXPECT_EQ(p.got_b.back().second, std::string(1 << 20, 'z'));
  // Write coalescing: far fewer writes than frames.
  EXPECT_LT(p.a->stats().writes, p.a->stats().frames_sent / 4);
  ASSERT_TRUE(p.b->Send(0, "reply").ok());
  ASSERT_TRUE(RunBoth(p, [&] { return p.got_a.size() == 1; }));
  EXPECT_EQ(p.got_a[0], (std::pair<env::NodeId, std::string>(1, "reply")));
  EXPECT_EQ(p.budget_a.used_bytes(), 0);
}

TEST_P(EnvConformanceTest, SendToSelfIsDeliveredLater) {
  Pair p;
  MakePair(GetParam(), p);
  ASSERT_TRUE(p.a->Send(0, "me").ok());
  EXPECT_TRUE(p.got_a.empty());
  ASSERT_TRUE(RunBoth(p, [&] { return p.got_a.size() == 1; }));
  EXPECT_EQ(p.got_a[0].first, 0u);
}

TEST_P(EnvConformanceTest, SendRefusesBadMessages) {
  Pair p;
  MakePair(GetParam(), p);
  EXPECT_EQ(p.a->Send(1, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.a->Send(7, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.a->Send(1, std::string(env::kMaxMessageBytes + 1, 'x')).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(EnvConformanceTest, BoundedSendBufferIsChargedToTheBudget) {
  auto loop = NewLoop();
  env::MemoryBudget budget(1000);
  TcpNetworkOptions o;
  o.self = 0;
  o.peers[1] = "127.0.0.1:1";  // Nothing listens: the connection stays down.
  TcpNetwork net(*loop, budget, o);
  absl::Status s;
  int sent = 0;
  while ((s = net.Send(1, std::string(100, 'x'))).ok() && sent < 100) ++sent;
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GT(budget.used_bytes(), 0);
  EXPECT_LE(budget.used_bytes(), 1000);
  // The connect fails; the queued frames are dropped and the bytes returned.
  ASSERT_TRUE(loop->RunUntil([&] { return budget.used_bytes() == 0; }, kTestTimeoutNs));
}

TEST_P(EnvConformanceTest, ReconnectsAfterPeerRestarts) {
  Pair p;
  MakePair(GetParam(), p);
  ASSERT_TRUE(p.a->Send(1, "before").ok());
  ASSERT_TRUE(RunBoth(p, [&] { return p.got_b.size() == 1; }));
  // Restart b: a new network (and port) on the same loop.
  p.b.reset();
  TcpNetworkOptions ob;
  ob.self = 1;
  ob.peers[0] = "127.0.0.1:1";
  p.b = std::make_unique<TcpNetwork>(*p.loop_b, p.budget_b, ob);
  auto port_b = p.b->Listen("127.0.0.1:0", ListenerKind::kPeer);
  ASSERT_TRUE(port_b.ok());
  p.b->SetReceiver([&p](env::NodeId from, absl::string_view bytes) {
    p.got_b.emplace_back(from, std::string(bytes));
  });
  // Let a notice the broken connection, then point it at the new port.
  p.a->SetPeerAddress(1, "127.0.0.1:" + std::to_string(*port_b));
  // Messages may be lost while reconnecting; keep sending until one arrives.
  const size_t before = p.got_b.size();
  ASSERT_TRUE(RunBoth(p, [&] {
    p.a->Send(1, "after").IgnoreError();  // Best effort, like Raft's retransmits.
    return p.got_b.size() > before;
  }));
  EXPECT_EQ(p.got_b.back().second, "after");
  EXPECT_GE(p.a->stats().connects, 2u);
}

int ConnectRaw(int port, int receive_buffer_bytes = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (receive_buffer_bytes > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof(receive_buffer_bytes));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_P(EnvConformanceTest, ClientConnectionsGetPseudoIdsAndRepliesOnTheSameConnection) {
  auto loop = NewLoop();
  env::MemoryBudget budget(1 << 20);
  TcpNetworkOptions o;
  o.self = 0;
  TcpNetwork server(*loop, budget, o);
  auto port = server.Listen("127.0.0.1:0", ListenerKind::kClient);
  ASSERT_TRUE(port.ok());
  server.SetReceiver([&](env::NodeId from, absl::string_view bytes) {
    EXPECT_GE(from, kFirstClientId);
    server.Send(from, absl::StrCat("echo:", bytes)).IgnoreError();
  });
  // The client side: a second loop with the server as peer 0, no hello.
  auto client_loop = NewLoop();
  env::MemoryBudget client_budget(1 << 20);
  TcpNetworkOptions co;
  co.self = kFirstClientId - 1;
  co.send_hello = false;
  co.peers[0] = "127.0.0.1:" + std::to_string(*port);
  TcpNetwork client(*client_loop, client_budget, co);
  std::string got;
  client.SetReceiver([&](env::NodeId from, absl::string_view bytes) { got = std::string(bytes); });
  ASSERT_TRUE(client.Send(0, "hi").ok());
  const env::TimeNs deadline = loop->NowNs() + kTestTimeoutNs;
  while (got.empty() && loop->NowNs() < deadline) {
    client_loop->RunUntil([] { return false; }, env::kMillisecond);
    loop->RunUntil([] { return false; }, env::kMillisecond);
  }
  EXPECT_EQ(got, "echo:hi");
}

TEST_P(EnvConformanceTest, MalformedInputClosesOnlyThatConnection) {
  auto loop = NewLoop();
  env::MemoryBudget budget(1 << 20);
  TcpNetworkOptions o;
  o.self = 0;
  o.peers[1] = "127.0.0.1:1";
  TcpNetwork server(*loop, budget, o);
  auto client_port = server.Listen("127.0.0.1:0", ListenerKind::kClient);
  auto peer_port = server.Listen("127.0.0.1:0", ListenerKind::kPeer);
  ASSERT_TRUE(client_port.ok() && peer_port.ok());
  int received = 0;
  server.SetReceiver([&](env::NodeId, absl::string_view) { ++received; });
  std::string oversized = "\xff\xff\xff\x7f" "abcd";
  std::string bad_checksum;
  AppendFrame("payload", bad_checksum);
  bad_checksum[5] ^= 0x40;
  std::string not_hello;
  AppendFrame("not a hello", not_hello);
  struct Case {
    int port;
    std::string bytes;
  };
  std::vector<Case> cases = {{*client_port, oversized},    {*client_port, bad_checksum},
                             {*peer_port, oversized},      {*peer_port, not_hello},
                             {*peer_port, "random\x01\x02 bytes"}};
  for (const Case& c : cases) {
    const int fd = ConnectRaw(c.port);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, c.bytes.data(), c.bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(c.bytes.size()));
    // The server closes the connection: our read sees EOF (or a reset).
    char buffer[16];
    bool closed = false;
    const env::TimeNs deadline = loop->NowNs() + kTestTimeoutNs;
    while (!closed && loop->NowNs() < deadline) {
      loop->RunUntil([] { return false; }, env::kMillisecond);
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    ::close(fd);
    EXPECT_TRUE(closed) << "case on port " << c.port;
  }
  EXPECT_EQ(received, 0);
  EXPECT_GE(server.stats().bad_frames, 5u);
  // A well-formed client still gets through.
  const int fd = ConnectRaw(*client_port);
  std::string good;
  AppendFrame("good", good);
  ASSERT_EQ(::send(fd, good.data(), good.size(), MSG_NOSIGNAL), static_cast<ssize_t>(good.size()));
  ASSERT_TRUE(loop->RunUntil([&] { return received == 1; }, kTestTimeoutNs));
  ::close(fd);
}

TEST_P(EnvConformanceTest, FrameLargerThanTheWholeBudgetClosesTheConnection) {
  auto loop = NewLoop();
  env::MemoryBudget budget(64 * 1024);
  TcpNetworkOptions o;
  o.self = 0;
  TcpNetwork server(*loop, budget, o);
  auto port = server.Listen("127.0.0.1:0", ListenerKind::kClient);
  ASSERT_TRUE(port.ok());
  // Announce a 1 MiB frame (legal on the wire, but it could never be
  // charged to a 64 KiB budget) and send 200 KiB of it.
  std::string frame;
  AppendFrame(std::string(1 << 20, 'p'), frame);
  frame.resize(200 * 1024);
  const int fd = ConnectRaw(*port);
  ASSERT_GE(fd, 0);
  bool closed = false;
  size_t sent = 0;
  const env::TimeNs deadline = loop->NowNs() + kTestTimeoutNs;
  while (!closed && loop->NowNs() < deadline) {
    if (sent < frame.size()) {
      const ssize_t n = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    loop->RunUntil([] { return false; }, env::kMillisecond);
    char buffer[16];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_GE(server.stats().bad_frames, 1u);
  ASSERT_TRUE(loop->RunUntil([&] { return budget.used_bytes() == 0; }, kTestTimeoutNs));
}

// Turns `loop` for about a millisecond.
void TurnBriefly(EventLoop& loop) { loop.RunUntil([] { return false; }, env::kMillisecond); }

TEST_P(EnvConformanceTest, FullBudgetPausesReadingInsteadOfClosingThenResumes) {
  auto loop = NewLoop();
  env::MemoryBudget budget(256 * 1024);
  TcpNetworkOptions o;
  o.self = 0;
  TcpNetwork server(*loop, budget, o);
  auto port = server.Listen("127.0.0.1:0", ListenerKind::kClient);
  ASSERT_TRUE(port.ok());
  std::vector<std::string> got;
  server.SetReceiver([&](env::NodeId, absl::string_view bytes) { got.emplace_back(bytes); });
  // Someone else holds most of the budget: a 100 KiB frame fits the limit
  // but not the room left, so its partial bytes cannot be charged.
  ASSERT_TRUE(budget.Reserve(200 * 1024, "test hog").ok());
  std::string frames;
  AppendFrame(std::string(100 * 1024, 'a'), frames);
  AppendFrame("after", frames);
  const int fd = ConnectRaw(*port);
  ASSERT_GE(fd, 0);
  size_t sent = 0;
  const env::TimeNs deadline = loop->NowNs() + kTestTimeoutNs;
  while ((sent < frames.size() || server.paused_connection_count() == 0) && loop->NowNs() < deadline) {
    const ssize_t n = ::send(fd, frames.data() + sent, frames.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) sent += static_cast<size_t>(n);
    TurnBriefly(*loop);
  }
  ASSERT_EQ(sent, frames.size());
  EXPECT_EQ(server.paused_connection_count(), 1u);
  EXPECT_GE(server.stats().read_pauses, 1u);
  for (int i = 0; i < 20; ++i) TurnBriefly(*loop);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(server.client_connection_count(), 1u);  // Paused, not closed.
  EXPECT_LE(budget.used_bytes(), budget.limit_bytes());
  // Room again: reading resumes and both frames arrive whole. (The budget
  // changes only on the loop thread, where the end of that turn retries
  // paused connections; here the test releases between turns, so it wakes
  // the loop for one.)
  budget.Release(200 * 1024);
  loop->Post([] {});
  ASSERT_TRUE(RunUntilOr(*loop, [&] { return got.size() == 2; }));
  EXPECT_EQ(got[0], std::string(100 * 1024, 'a'));
  EXPECT_EQ(got[1], "after");
  EXPECT_EQ(server.paused_connection_count(), 0u);
  EXPECT_EQ(budget.used_bytes(), 0);
  ::close(fd);
}

TEST_P(EnvConformanceTest, ClientThatDoesNotReadRepliesIsNotReadEitherAndLosesNothing) {
  auto loop = NewLoop();
  env::MemoryBudget budget(64 << 20);
  TcpNetworkOptions o;
  o.self = 0;
  o.max_queued_bytes_per_connection = 256 * 1024;
  TcpNetwork server(*loop, budget, o);
  auto port = server.Listen("127.0.0.1:0", ListenerKind::kClient);
  ASSERT_TRUE(port.ok());
  int refused = 0;
  server.SetReceiver([&](env::NodeId from, absl::string_view bytes) {
    if (!server.Send(from, std::string(bytes)).ok()) ++refused;  // Echo.
  });
  constexpr int kRequests = 600;
  std::string requests;
  for (int i = 0; i < kRequests; ++i) AppendFrame(absl::StrCat(i, ":", std::string(16 * 1024, 'r')), requests);
  const int fd = ConnectRaw(*port, /*receive_buffer_bytes=*/32 * 1024);
  ASSERT_GE(fd, 0);
  // Flood without reading until the server stops reading us.
  size_t sent = 0;
  env::TimeNs deadline = loop->NowNs() + kTestTimeoutNs;
  while (server.paused_connection_count() == 0 && loop->NowNs() < deadline) {
    const ssize_t n = ::send(fd, requests.data() + sent, requests.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) sent += static_cast<size_t>(n);
    TurnBriefly(*loop);
  }
  EXPECT_EQ(server.paused_connection_count(), 1u);
  EXPECT_LT(sent, requests.size());
  // Now read every reply while sending the rest: nothing is lost.
  FrameDecoder decoder;
  int replies = 0;
  bool in_order = true;
  deadline = loop->NowNs() + kTestTimeoutNs;
  char buffer[64 * 1024];
  while (replies < kRequests && loop->NowNs() < deadline) {
    if (sent < requests.size()) {
      const ssize_t n = ::send(fd, requests.data() + sent, requests.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    TurnBriefly(*loop);
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT)) > 0) {
      decoder.Append(absl::string_view(buffer, static_cast<size_t>(n)));
    }
    while (true) {
      auto frame = decoder.Next();
      ASSERT_TRUE(frame.ok());
      if (!frame->has_value()) break;
      in_order = in_order && absl::StartsWith(**frame, absl::StrCat(replies, ":"));
      ++replies;
    }
  }
  EXPECT_EQ(replies, kRequests);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(refused, 0);
  EXPECT_GE(server.stats().read_pauses, 1u);
  ::close(fd);
}

TEST_P(EnvConformanceTest, LargeMessagesBothWaysAndManyConnectionsAndPeerClose) {
  auto loop = NewLoop();
  env::MemoryBudget budget(256 << 20);
  TcpNetworkOptions o;
  o.self = 0;
  TcpNetwork server(*loop, budget, o);
  auto port = server.Listen("127.0.0.1:0", ListenerKind::kClient);
  ASSERT_TRUE(port.ok());
  server.SetReceiver([&](env::NodeId from, absl::string_view bytes) {
    server.Send(from, absl::StrCat("echo:", bytes)).IgnoreError();
  });
  // Many clients, each on its own loop of the same backend.
  constexpr int kClients = 24;
  struct Client {
    std::unique_ptr<EventLoop> loop;
    env::MemoryBudget budget{64 << 20};
    std::unique_ptr<TcpNetwork> net;
    std::vector<std::string> got;
  };
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    auto c = std::make_unique<Client>();
    c->loop = NewLoop();
    TcpNetworkOptions co;
    co.self = kFirstClientId - 1;
    co.send_hello = false;
    co.peers[0] = "127.0.0.1:" + std::to_string(*port);
    c->net = std::make_unique<TcpNetwork>(*c->loop, c->budget, co);
    Client* raw = c.get();
    c->net->SetReceiver([raw](env::NodeId, absl::string_view bytes) { raw->got.emplace_back(bytes); });
    clients.push_back(std::move(c));
  }
  // Client 0 sends a 4 MiB message (many partial sends and reads on the
  // way, both directions); the others small ones.
  const std::string big(4 << 20, 'B');
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(clients[i]->net->Send(0, i == 0 ? big : absl::StrCat("hello ", i)).ok());
  }
  auto all_answered = [&] {
    for (auto& c : clients) {
      if (c->got.empty()) return false;
    }
    return true;
  };
  const env::TimeNs deadline = loop->NowNs() + 2 * kTestTimeoutNs;
  while (!all_answered() && loop->NowNs() < deadline) {
    TurnBriefly(*loop);
    for (auto& c : clients) {
      if (c->got.empty()) c->loop->RunUntil([] { return false; }, env::kMillisecond / 4);
    }
  }
  ASSERT_TRUE(all_answered());
  EXPECT_EQ(clients[0]->got[0], "echo:" + big);
  for (int i = 1; i < kClients; ++i) EXPECT_EQ(clients[i]->got[0], absl::StrCat("echo:hello ", i));
  EXPECT_EQ(server.client_connection_count(), static_cast<size_t>(kClients));
  // Clients go away: the server notices each close and frees everything.
  clients.clear();
  ASSERT_TRUE(RunUntilOr(*loop, [&] { return server.client_connection_count() == 0; }));
  EXPECT_EQ(budget.used_bytes(), 0);
}

// The lines of `text` that contain every one of `parts`.
std::vector<std::string> LinesWith(const std::string& text, std::initializer_list<absl::string_view> parts) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    bool all = true;
    for (absl::string_view part : parts) all = all && absl::StrContains(line, part);
    if (all) out.emplace_back(line);
  }
  return out;
}

TEST_P(EnvConformanceTest, PeersWithTheSameClusterFingerprintExchangeMessages) {
  Pair p;
  MakePair(GetParam(), p, 0x0123456789abcdefull, 0x0123456789abcdefull);
  ASSERT_TRUE(p.a->Send(1, "to b").ok());
  ASSERT_TRUE(p.b->Send(0, "to a").ok());
  ASSERT_TRUE(RunBoth(p, [&] { return p.got_a.size() == 1 && p.got_b.size() == 1; }));
  EXPECT_EQ(p.got_b[0], (std::pair<env::NodeId, std::string>(0, "to b")));
  EXPECT_EQ(p.got_a[0], (std::pair<env::NodeId, std::string>(1, "to a")));
  EXPECT_EQ(p.a->stats().hello_fingerprint_mismatches + p.b->stats().hello_fingerprint_mismatches, 0u);
}

// Two nodes started with different cluster files: each refuses the other's
// connections at the hello, steps nothing from them, counts and logs it,
// and the refused side backs off instead of redialling every 10 ms.
TEST_P(EnvConformanceTest, PeerWithAnotherClusterFingerprintIsRefusedLoggedAndBackedOff) {
  Pair p;
  MakePair(GetParam(), p, 0x00000000000000aaull, 0xbbbbbbbbbbbbbbbbull);
  testing::internal::CaptureStderr();
  const env::TimeNs start = p.loop_a->NowNs();
  // Raft-like traffic both ways for half a second: nothing may arrive.
  while (p.loop_a->NowNs() - start < 500 * env::kMillisecond) {
    p.a->Send(1, "from a").IgnoreError();  // Lost with the refused connections.
    p.b->Send(0, "from b").IgnoreError();
    p.loop_a->RunUntil([] { return false; }, 1 * env::kMillisecond);
    p.loop_b->RunUntil([] { return false; }, 1 * env::kMillisecond);
  }
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(p.got_a.empty());
  EXPECT_TRUE(p.got_b.empty());
  EXPECT_GE(p.b->stats().hello_fingerprint_mismatches, 1u);
  EXPECT_GE(p.a->stats().hello_fingerprint_mismatches, 1u);
  EXPECT_EQ(p.a->stats().frames_received + p.b->stats().frames_received, 0u);
  // Backoff: 10, 20, 40, 80, 160 ms... about six connects in 500 ms, where
  // a reset on every connect would redial about every 10 ms.
  EXPECT_LE(p.a->stats().connects, 8u);
  EXPECT_GE(p.a->stats().connects, 2u);
  // One warn line per refusing side within the 10 s rate limit, naming the
  // peer, both fingerprints, and the cause.
  const std::vector<std::string> at_b =
      LinesWith(log, {"level=warn", "refusing peer: cluster fingerprint mismatch", "different cluster files",
                      "peer=0 ", "peer_fingerprint=00000000000000aa", "local_fingerprint=bbbbbbbbbbbbbbbb"});
  EXPECT_EQ(at_b.size(), 1u) << log;
  const std::vector<std::string> at_a =
      LinesWith(log, {"level=warn", "cluster fingerprint mismatch", "peer=1 ",
                      "peer_fingerprint=bbbbbbbbbbbbbbbb", "local_fingerprint=00000000000000aa"});
  EXPECT_EQ(at_a.size(), 1u) << log;
}

// Hellos sent by hand: the current layout is accepted, and anything else
// (the fingerprint-less KVHELLO1, a truncated or padded hello, an unknown
// node) closes that connection without delivering what follows it.
TEST_P(EnvConformanceTest, PeerHelloLayoutsAreCheckedByteForByte) {
  auto loop = NewLoop();
  env::MemoryBudget budget(1 << 20);
  TcpNetworkOptions o;
  o.self = 0;
  o.peers[1] = "127.0.0.1:1";
  o.cluster_fingerprint = 0x1122334455667788ull;
  TcpNetwork server(*loop, budget, o);
  auto port = server.Listen("127.0.0.1:0", ListenerKind::kPeer);
  ASSERT_TRUE(port.ok());
  std::vector<std::pair<env::NodeId, std::string>> received;
  server.SetReceiver([&](env::NodeId from, absl::string_view bytes) { received.emplace_back(from, bytes); });
  const std::string id_1("\x01\x00\x00\x00", 4);
  const std::string fingerprint("\x88\x77\x66\x55\x44\x33\x22\x11", 8);  // Little endian.
  std::string after;
  AppendFrame("raft message", after);
  // Returns whether the server closed the connection after `hello` + `after`.
  auto closed_after = [&](const std::string& hello) {
    std::string bytes;
    AppendFrame(hello, bytes);
    bytes += after;
    const int fd = ConnectRaw(*port);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
    bool closed = false;
    const size_t before = received.size();
    const env::TimeNs deadline = loop->NowNs() + kTestTimeoutNs;
    while (!closed && received.size() == before && loop->NowNs() < deadline) {
      loop->RunUntil([] { return false; }, env::kMillisecond);
      char buffer[16];
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    ::close(fd);
    return closed;
  };
  testing::internal::CaptureStderr();
  EXPECT_TRUE(closed_after("KVHELLO1" + id_1));
  EXPECT_TRUE(closed_after("KVHELLO2" + id_1));                                // No fingerprint.
  EXPECT_TRUE(closed_after("KVHELLO2" + id_1 + fingerprint.substr(0, 7)));     // Truncated.
  EXPECT_TRUE(closed_after("KVHELLO2" + id_1 + fingerprint + "x"));            // Padded.
  EXPECT_TRUE(closed_after("KVHELLO2" + std::string("\x07\x00\x00\x00", 4) + fingerprint));  // Unknown node.
  EXPECT_TRUE(closed_after("KVHELLO2" + std::string("\x00\x00\x00\x00", 4) + fingerprint));  // Itself.
  EXPECT_TRUE(closed_after("KVHELLO2" + id_1 + std::string(8, '\0')));        // Fingerprint 0.
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(received.empty());
  EXPECT_EQ(server.stats().hellos_without_fingerprint, 1u);
  EXPECT_EQ(server.stats().hello_fingerprint_mismatches, 1u);
  EXPECT_EQ(server.stats().bad_frames, 5u);
  EXPECT_EQ(server.stats().frames_received, 0u);
  EXPECT_EQ(LinesWith(log, {"level=warn", "KVHELLO1", "carries no cluster fingerprint", "peer=1 "}).size(), 1u)
      << log;
  EXPECT_EQ(LinesWith(log, {"level=warn", "is not a hello (12 bytes; a hello is 20)"}).size(), 1u) << log;
  EXPECT_EQ(LinesWith(log, {"level=warn", "hello from node 7, which is not a peer of node 0"}).size(), 1u) << log;
  EXPECT_EQ(LinesWith(log, {"level=warn", "peer_fingerprint=0000000000000000",
                            "local_fingerprint=1122334455667788"}).size(), 1u) << log;
  // The current layout: "KVHELLO2", u32 id, u64 fingerprint, little endian.
  EXPECT_FALSE(closed_after("KVHELLO2" + id_1 + fingerprint));
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0], (std::pair<env::NodeId, std::string>(1, "raft message")));
}

// Not a conformance case: what only the io_uring backend promises.
TEST(UringLoopTest, MovesSocketBytesOnTheRingWithOneSubmitPerTurn) {
  auto probe = MakeEventLoop(BackendKind::kUring);
  if (!probe.ok()) GTEST_SKIP() << "io_uring unavailable here: " << probe.status();
  probe->reset();
  Pair p;
  MakePair(BackendKind::kUring, p);
  auto& ring_a = static_cast<UringLoop&>(*p.loop_a);
  if (ring_a.io_mode() != "io_uring") GTEST_SKIP() << "kernel lacks the ring's socket operations";
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(p.a->Send(1, absl::StrCat("m", i)).ok());
  ASSERT_TRUE(RunBoth(p, [&] { return p.got_b.size() == 100; }));
  const UringStats& stats = ring_a.stats();
  EXPECT_GT(stats.operations, 0u);  // Connect, send and recv went through the ring.
  // One io_uring_submit_and_wait per turn (plus rare extra submits when a
  // poll watch is removed or the submission queue fills).
  EXPECT_LE(stats.submit_calls, p.loop_a->turns() + 4);
}
TEST_P(EnvConformanceTest, AcceptBacksOffWhileOutOfDescriptorsThenResumes) {
  auto loop = NewLoop();
  ASSERT_NE(loop, nullptr);
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  int failures = 0;
  std::vector<int> accepted;
  loop->AcceptOn(listener, [&](int fd) {
    if (fd < 0) {
      EXPECT_EQ(-fd, EMFILE);
      ++failures;
    } else {
      accepted.push_back(fd);
    }
  });
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);

  // Use up every descriptor under a lowered soft limit (restored below).
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 512);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
  EXPECT_EQ(errno, EMFILE);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);

  // 350 ms out of descriptors: a few attempts, one per back-off, not a spin.
  loop->RunUntil([] { return false; }, 350 * env::kMillisecond);
  EXPECT_GE(failures, 1);
  EXPECT_LE(failures, 6);
  EXPECT_TRUE(accepted.empty());

  // Descriptors free up: the pending connection is accepted after the back-off.
  for (int i = 0; i < 4; ++i) {
    ::close(fillers.back());
    fillers.pop_back();
  }
  EXPECT_TRUE(loop->RunUntil([&] { return !accepted.empty(); }, 2 * env::kSecond));
  for (int fd : fillers) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  for (int fd : accepted) ::close(fd);
  ::close(client);
  loop->CloseSocket(listener);
  loop->RunUntil([] { return false; }, 10 * env::kMillisecond);
}

INSTANTIATE_TEST_SUITE_P(Backends, EnvConformanceTest,
                         testing::Values(BackendKind::kEpoll, BackendKind::kUring,
                                         BackendKind::kUringPoll),
                         [](const testing::TestParamInfo<BackendKind>& info) {
                           switch (info.param) {
                             case BackendKind::kEpoll: return "epoll";
                             case BackendKind::kUring: return "uring";
                             default: return "uring_poll";
                           }
                         });

}  // namespace
}  // namespace kv::backend
