#pragma once
// A blocking loopback TCP client for tests that drive a server running on
// another thread: connect, send everything, read until the server closes.
// Most tests want all four steps at once, through Exchange.
// Layer: backend tests only.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "node/env/check.h"

namespace kv::backend::testing {

// A connection to 127.0.0.1:port whose reads give up after 10 s, so that a
// hung server fails the test instead of hanging it.
inline int ConnectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  KV_CHECK_GE(fd, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  KV_CHECK_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// Sends all of `bytes`, or stops quietly when the server closes first: what
// it read before closing is what a test checks.
inline void SendAll(int fd, std::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Everything the server sends until it closes the connection (or the read
// times out).
inline std::string ReadToEnd(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

// Whether Exchange shuts its sending side once the request is sent, so the
// server sees the end of the stream while it still owes replies.
enum class AfterRequest { kKeepSending, kShutWrite };

// Sends `request` on a fresh connection to 127.0.0.1:port and returns
// everything the server sends until it closes the connection (or the read
// times out); then closes the connection. Call it from a thread other than
// the server's.
inline std::string Exchange(int port, std::string_view request,
                            AfterRequest after = AfterRequest::kKeepSending) {
  const int fd = ConnectLoopback(port);
  SendAll(fd, request);
  if (after == AfterRequest::kShutWrite) ::shutdown(fd, SHUT_WR);
  std::string out = ReadToEnd(fd);
  ::close(fd);
  return out;
}

}  // namespace kv::backend::testing
