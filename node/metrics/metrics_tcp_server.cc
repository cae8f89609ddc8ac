#include "node/metrics/metrics_tcp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/backend/tcp_network.h"

namespace kv::metrics {
namespace {

std::string HttpResponse(int code, absl::string_view reason, absl::string_view content_type,
                         absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

MetricsTcpServer::MetricsTcpServer(backend::EventLoop& loop,
                                   absl::AnyInvocable<std::string()> render)
    : render_(std::move(render)),
      server_(loop, "metrics", 64 * 1024,
              [this](uint64_t id, std::string& input) { OnData(id, input); }, nullptr) {}

void MetricsTcpServer::OnData(uint64_t id, std::string& input) {
  const size_t end = input.find("\r\n\r\n");
  if (end == std::string::npos) {
    // Not a complete header yet; but a non-HTTP first line can be refused now.
    if (input.size() >= 4 && !absl::StartsWith(input, "GET ") && !absl::StartsWith(input, "HEAD") &&
        !absl::StartsWith(input, "POST") && !absl::StartsWith(input, "PUT ")) {
      server_.Reply(id, HttpResponse(400, "Bad Request", "text/plain", "bad request\n"), true);
      input.clear();
    }
    return;
  }
  const std::string line = input.substr(0, input.find("\r\n"));
  input.clear();
  std::vector<std::string> parts = absl::StrSplit(line, ' ');
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) {
    server_.Reply(id, HttpResponse(400, "Bad Request", "text/plain", "bad request\n"), true);
    return;
  }
  if (parts[0] != "GET") {
    server_.Reply(id, HttpResponse(405, "Method Not Allowed", "text/plain", "GET only\n"), true);
    return;
  }
  if (parts[1] != "/metrics") {
    server_.Reply(id, HttpResponse(404, "Not Found", "text/plain", "try /metrics\n"), true);
    return;
  }
  ++requests_;
  server_.Reply(id, HttpResponse(200, "OK", "text/plain; version=0.0.4", render_()), true);
}

absl::StatusOr<std::string> HttpGetForTcp(absl::string_view address, absl::string_view path,
                                          int timeout_ms) {
  std::string host;
  int port = 0;
  absl::Status s = backend::ParseAddress(address, host, port);
  if (!s.ok()) return s;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bad host in ", address));
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError("socket");
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("connect ", address, ": ", std::strerror(error)));
  }
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", address, "\r\n\r\n");
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("send to ", address, " failed"));
  }
  std::string response;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("read from ", address, ": ", std::strerror(errno)));
    }
    response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) return absl::UnavailableError("truncated HTTP response");
  if (!absl::StartsWith(response, "HTTP/1.1 200")) {
    return absl::InternalError(response.substr(0, response.find("\r\n")));
  }
  return response.substr(body + 4);
}

}  // namespace kv::metrics
