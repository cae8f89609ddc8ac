#include "node/backend/raw_tcp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "node/backend/backend_log.h"
#include "node/backend/tcp_network.h"

namespace kv::backend {

RawTcpServer::RawTcpServer(EventLoop& loop, absl::string_view name, size_t max_input_bytes,
                           OnData on_data, OnClose on_close)
    : loop_(loop),
      name_(name),
      max_input_bytes_(max_input_bytes),
      on_data_(std::move(on_data)),
      on_close_(std::move(on_close)) {}

RawTcpServer::~RawTcpServer() {
  CloseListener();
  for (auto& [id, c] : connections_) {
    loop_.Unwatch(c->fd);
    ::close(c->fd);
  }
}

absl::StatusOr<int> RawTcpServer::Listen(absl::string_view address) {
  std::string host;
  int port = 0;
  absl::Status s = ParseAddress(address, host, port);
  if (!s.ok()) return s;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\": numeric IPv4 host expected"));
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 128) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat(name_, ": cannot listen on ", address, ": ", std::strerror(error)));
  }
  socklen_t length = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  s = loop_.Watch(fd, false, [this](uint32_t) { OnAccept(); });
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  listen_fd_ = fd;
  return static_cast<int>(ntohs(addr.sin_port));
}

void RawTcpServer::CloseListener() {
  if (listen_fd_ < 0) return;
  loop_.Unwatch(listen_fd_);
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void RawTcpServer::OnAccept() {
  for (int i = 0; i < 64; ++i) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const uint64_t id = next_id_++;
    if (!loop_.Watch(fd, false, [this, id](uint32_t events) { OnReady(id, events); }).ok()) {
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    connections_[id] = std::move(c);
    ++connections_accepted_;
  }
}

void RawTcpServer::OnReady(uint64_t id, uint32_t events) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (events & kWritable) {
    Flush(id);
    if (connections_.count(id) == 0) return;
  }
  if ((events & kReadable) == 0) return;
  char buffer[16384];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(it->second->fd, buffer, sizeof(buffer), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      Close(id);
      return;
    }
    if (n < 0) break;
    it->second->input.append(buffer, static_cast<size_t>(n));
    if (it->second->input.size() > max_input_bytes_) {
      Log(LogLevel::kWarn, name_, absl::StrCat("request larger than ", max_input_bytes_, " bytes; closing"));
      Close(id);
      return;
    }
  }
  // The handler may reply with close_after; the connection (and `input`)
  // must stay alive until it returns, so closing is deferred to here.
  dispatching_id_ = id;
  on_data_(id, it->second->input);
  dispatching_id_ = 0;
  auto after = connections_.find(id);
  if (after != connections_.end() && after->second->close_pending) Close(id);
}

void RawTcpServer::Reply(uint64_t id, absl::string_view bytes, bool close_after) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  it->second->output.append(bytes.data(), bytes.size());
  it->second->close_after = it->second->close_after || close_after;
  Flush(id);
}

void RawTcpServer::Flush(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  while (!c.output.empty()) {
    const ssize_t n = ::send(c.fd, c.output.data(), c.output.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        loop_.SetWantWrite(c.fd, true);
        return;
      }
      Close(id);
      return;
    }
    c.output.erase(0, static_cast<size_t>(n));
  }
  loop_.SetWantWrite(c.fd, false);
  if (c.close_after) Close(id);
}

void RawTcpServer::Close(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (id == dispatching_id_) {
    it->second->close_pending = true;
    return;
  }
  std::unique_ptr<Connection> c = std::move(it->second);
  connections_.erase(it);
  loop_.Unwatch(c->fd);
  ::close(c->fd);
  if (on_close_) on_close_(id);
}

}  // namespace kv::backend
