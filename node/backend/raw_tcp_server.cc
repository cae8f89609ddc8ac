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
  for (auto& [id, c] : connections_) loop_.CloseSocket(c->fd);
}

namespace {
// Back-pressure marks on a connection's unsent output.
constexpr size_t kOutputHighWaterBytes = 1 << 20;
constexpr size_t kOutputLowWaterBytes = 256 << 10;
}  // namespace

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
  loop_.AcceptOn(fd, [this](int accepted) { OnAccept(accepted); });
  listen_fd_ = fd;
  return static_cast<int>(ntohs(addr.sin_port));
}

void RawTcpServer::CloseListener() {
  if (listen_fd_ < 0) return;
  loop_.CloseSocket(listen_fd_);
  listen_fd_ = -1;
}

void RawTcpServer::OnAccept(int fd) {
  if (fd < 0) return;  // A failed accept; the listener keeps accepting.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const uint64_t id = next_id_++;
  auto c = std::make_unique<Connection>();
  c->fd = fd;
  connections_[id] = std::move(c);
  ++connections_accepted_;
  loop_.ReadFrom(fd, [this, id](absl::string_view bytes, int error) { return OnBytes(id, bytes, error); });
}

bool RawTcpServer::WantsInput(const Connection& c) const {
  return !c.handler_full && !c.read_ended && !c.close_after &&
         c.output.size() + c.in_flight_bytes < kOutputHighWaterBytes;
}

bool RawTcpServer::DoneAfterEnd(uint64_t id, const Connection& c) {
  if (!c.output.empty() || c.write_in_flight) return false;
  return owes_replies_ == nullptr || !owes_replies_(id);
}

bool RawTcpServer::OnBytes(uint64_t id, absl::string_view bytes, int error) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return false;
  Connection& c = *it->second;
  if (bytes.empty()) {
    // End of stream: answer what was already asked if the peer only shut
    // its sending side; an error means nobody is listening any more.
    c.read_ended = true;
    if (error != 0 || c.close_after || DoneAfterEnd(id, c)) Close(id);
    return false;
  }
  // The handler ended this stream (a protocol error, QUIT): what the client
  // sent after that point must not run, so it is dropped unread.
  if (c.close_after) return false;
  c.input.append(bytes.data(), bytes.size());
  if (c.input.size() > max_input_bytes_) {
    Log(LogLevel::kWarn, name_, absl::StrCat("request larger than ", max_input_bytes_, " bytes; closing"));
    if (oversized_input_reply_.empty()) {
      Close(id);
      return false;
    }
    // The client is told why, then the connection closes; what it sends
    // meanwhile is dropped (close_after).
    c.input.clear();
    Reply(id, oversized_input_reply_, /*close_after=*/true);
    return false;
  }
  Dispatch(id);
  auto after = connections_.find(id);
  if (after == connections_.end()) return false;
  if (WantsInput(*after->second)) return true;
  after->second->read_paused = true;
  ++read_pauses_;
  return false;
}

void RawTcpServer::Dispatch(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  // The handler may reply with close_after; the connection (and `input`)
  // must stay alive until it returns, so closing is deferred to here.
  dispatching_id_ = id;
  on_data_(id, it->second->input);
  dispatching_id_ = 0;
  auto after = connections_.find(id);
  if (after != connections_.end() && after->second->close_pending) Close(id);
}

void RawTcpServer::PauseInput(uint64_t id) {
  auto it = connections_.find(id);
  if (it != connections_.end()) it->second->handler_full = true;
}

void RawTcpServer::Redeliver(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  it->second->handler_full = false;
  if (!it->second->input.empty() && !it->second->close_after) Dispatch(id);
  MaybeResume(id);
}

void RawTcpServer::MaybeResume(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (!c.read_paused || !WantsInput(c)) return;
  if (c.output.size() + c.in_flight_bytes > kOutputLowWaterBytes) return;
  c.read_paused = false;
  loop_.ResumeReading(c.fd);
}

size_t RawTcpServer::queued_output_bytes() const {
  size_t total = 0;
  for (const auto& [id, c] : connections_) total += c->output.size() + c->in_flight_bytes;
  return total;
}

size_t RawTcpServer::paused_count() const {
  size_t count = 0;
  for (const auto& [id, c] : connections_) count += c->read_paused ? 1 : 0;
  return count;
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
  if (c.write_in_flight) return;  // OnWritten sends what queued meanwhile.
  if (c.output.empty()) {
    if (c.close_after || (c.read_ended && DoneAfterEnd(id, c))) Close(id);
    return;
  }
  c.write_in_flight = true;
  c.in_flight_bytes = c.output.size();
  std::string bytes;
  bytes.swap(c.output);
  loop_.WriteTo(c.fd, std::move(bytes), [this, id](int error) { OnWritten(id, error); });
}

void RawTcpServer::OnWritten(uint64_t id, int error) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (error != 0) {
    Close(id);
    return;
  }
  it->second->write_in_flight = false;
  it->second->in_flight_bytes = 0;
  Flush(id);
  MaybeResume(id);
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
  loop_.CloseSocket(c->fd);
  if (on_close_) on_close_(id);
}

}  // namespace kv::backend
