#include "node/backend/tcp_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/backend/backend_log.h"
#include "node/env/check.h"

namespace kv::backend {
namespace {

// The hello frame's payload: this magic, then the sender's node id (u32 LE).
constexpr absl::string_view kHelloMagic = "KVHELLO1";
constexpr size_t kHelloBytes = 12;
// Bytes read per recv(2), and recv calls per connection per turn (fairness).
constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr int kMaxReadsPerTurn = 16;

std::string HelloPayload(env::NodeId self) {
  std::string out(kHelloMagic);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((self >> (8 * i)) & 0xff));
  return out;
}

bool ParseHello(absl::string_view payload, env::NodeId& id) {
  if (payload.size() != kHelloBytes || payload.substr(0, kHelloMagic.size()) != kHelloMagic) {
    return false;
  }
  id = 0;
  for (int i = 0; i < 4; ++i) {
    id |= static_cast<env::NodeId>(static_cast<uint8_t>(payload[8 + i])) << (8 * i);
  }
  return true;
}

void SetSocketOptions(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

absl::Status MakeSockaddr(absl::string_view address, sockaddr_in& out) {
  std::string host;
  int port = 0;
  absl::Status s = ParseAddress(address, host, port);
  if (!s.ok()) return s;
  out = sockaddr_in{};
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &out.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\": host must be a numeric IPv4 address"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseAddress(absl::string_view address, std::string& host, int& port) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\" is not host:port"));
  }
  host = std::string(address.substr(0, colon));
  if (host == "localhost") host = "127.0.0.1";
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\": port must be in [0, 65535]"));
  }
  return absl::OkStatus();
}

struct TcpNetwork::Connection {
  enum class Role { kOutbound, kInboundPeer, kInboundClient };
  uint64_t id = 0;
  int fd = -1;
  Role role = Role::kOutbound;
  env::NodeId remote = 0;  // Known for outbound and client; after hello for peers.
  bool hello_seen = false;
  bool connecting = false;
  FrameDecoder decoder;
  std::string out;        // Frames not yet written, from out_offset.
  size_t out_offset = 0;  // Invariant: out_offset <= out.size().
  int64_t charged_bytes = 0;  // Reserved in the budget for `out`.
  int64_t charged_input_bytes = 0;  // Reserved for the decoder's partial frame.
};

TcpNetwork::TcpNetwork(EventLoop& loop, env::MemoryBudget& budget, TcpNetworkOptions options)
    : loop_(loop), budget_(budget), options_(std::move(options)), alive_(std::make_shared<bool>(true)) {
  loop_.AddEndOfTurnHook([this, alive = alive_] {
    if (*alive) FlushDirty();
  });
}

TcpNetwork::~TcpNetwork() {
  *alive_ = false;
  CloseListeners();
  for (auto& [peer, timer] : reconnect_timers_) loop_.Cancel(timer);
  for (auto& [id, connection] : connections_) {
    loop_.Unwatch(connection->fd);
    ::close(connection->fd);
    budget_.Release(connection->charged_bytes + connection->charged_input_bytes);
  }
}

absl::StatusOr<int> TcpNetwork::Listen(absl::string_view address, ListenerKind kind) {
  sockaddr_in addr{};
  absl::Status s = MakeSockaddr(address, addr);
  if (!s.ok()) return s;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 128) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", std::strerror(error)));
  }
  socklen_t length = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  s = loop_.Watch(fd, false, [this, fd, kind](uint32_t) { OnAccept(fd, kind); });
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  listeners_[fd] = Listener{fd, kind};
  return static_cast<int>(ntohs(addr.sin_port));
}

void TcpNetwork::CloseListeners() {
  for (auto& [fd, listener] : listeners_) {
    loop_.Unwatch(fd);
    ::close(fd);
  }
  listeners_.clear();
}

void TcpNetwork::SetPeerAddress(env::NodeId peer, std::string address) {
  options_.peers[peer] = std::move(address);
  auto it = outbound_.find(peer);
  if (it != outbound_.end()) Close(it->second, "peer address changed");
}

void TcpNetwork::OnAccept(int listener_fd, ListenerKind kind) {
  for (int i = 0; i < 64; ++i) {
    const int fd = ::accept4(listener_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        Log(LogLevel::kWarn, "tcp", absl::StrCat("accept: ", std::strerror(errno)));
      }
      return;
    }
    SetSocketOptions(fd);
    auto connection = std::make_unique<Connection>();
    connection->id = next_connection_id_++;
    connection->fd = fd;
    if (kind == ListenerKind::kClient) {
      connection->role = Connection::Role::kInboundClient;
      connection->remote = next_client_id_++;
      clients_[connection->remote] = connection->id;
    } else {
      connection->role = Connection::Role::kInboundPeer;
    }
    const uint64_t id = connection->id;
    absl::Status s = loop_.Watch(fd, false, [this, id](uint32_t events) { OnReady(id, events); });
    if (!s.ok()) {
      Log(LogLevel::kWarn, "tcp", std::string(s.message()));
      clients_.erase(connection->remote);
      ::close(fd);
      continue;
    }
    ++stats_.connections_accepted;
    connections_[id] = std::move(connection);
  }
}

void TcpNetwork::Connect(env::NodeId peer) {
  reconnect_timers_.erase(peer);
  if (outbound_.count(peer) != 0) return;
  auto address = options_.peers.find(peer);
  KV_CHECK(address != options_.peers.end());
  sockaddr_in addr{};
  absl::Status s = MakeSockaddr(address->second, addr);
  if (!s.ok()) {
    Log(LogLevel::kError, "tcp", std::string(s.message()), absl::StrCat("peer=", peer));
    return;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    Log(LogLevel::kError, "tcp", absl::StrCat("socket: ", std::strerror(errno)));
    return;
  }
  SetSocketOptions(fd);
  auto connection = std::make_unique<Connection>();
  connection->id = next_connection_id_++;
  connection->fd = fd;
  connection->role = Connection::Role::kOutbound;
  connection->remote = peer;
  connection->hello_seen = true;
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int connect_errno = errno;
  connection->connecting = rc != 0 && connect_errno == EINPROGRESS;
  const uint64_t id = connection->id;
  ++stats_.connects;
  connections_[id] = std::move(connection);
  outbound_[peer] = id;
  Connection& c = *connections_[id];
  if (options_.send_hello) {
    // The hello is tiny and not charged: it is bounded by one per connection.
    AppendFrame(HelloPayload(options_.self), c.out);
  }
  s = loop_.Watch(fd, c.connecting || !c.out.empty(),
                  [this, id](uint32_t events) { OnReady(id, events); });
  KV_CHECK(s.ok());
  if (rc != 0 && !c.connecting) {
    Close(id, absl::StrCat("connect: ", std::strerror(connect_errno)));
  }
}

absl::Status TcpNetwork::Send(env::NodeId to, std::string bytes) {
  if (bytes.empty() || static_cast<int64_t>(bytes.size()) > kMaxFrameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("message of ", bytes.size(), " bytes outside [1, ", kMaxFrameBytes, "]"));
  }
  if (to == options_.self) {
    loop_.Post([this, alive = alive_, bytes = std::move(bytes)] {
      if (*alive && receiver_) receiver_(options_.self, bytes);
    });
    return absl::OkStatus();
  }
  uint64_t connection_id = 0;
  if (auto client = clients_.find(to); client != clients_.end()) {
    connection_id = client->second;
  } else if (options_.peers.count(to) != 0) {
    auto it = outbound_.find(to);
    if (it == outbound_.end()) {
      if (reconnect_timers_.count(to) != 0) {
        return absl::OkStatus();  // Backing off: the message is lost, as the contract allows.
      }
      Connect(to);
      it = outbound_.find(to);
      if (it == outbound_.end()) return absl::OkStatus();
    }
    connection_id = it->second;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown peer ", to));
  }
  return Enqueue(*connections_.at(connection_id), bytes);
}

absl::Status TcpNetwork::Enqueue(Connection& connection, absl::string_view payload) {
  const int64_t frame_bytes = static_cast<int64_t>(payload.size() + kFrameHeaderBytes);
  const int64_t queued = static_cast<int64_t>(connection.out.size() - connection.out_offset);
  if (queued + frame_bytes > options_.max_queued_bytes_per_connection) {
    ++stats_.send_refused;
    return absl::ResourceExhaustedError(
        absl::StrCat("send buffer to ", connection.remote, " holds ", queued, " bytes; limit ",
                     options_.max_queued_bytes_per_connection));
  }
  absl::Status s = budget_.Reserve(frame_bytes, "tcp send buffer");
  if (!s.ok()) {
    ++stats_.send_refused;
    return s;
  }
  connection.charged_bytes += frame_bytes;
  AppendFrame(payload, connection.out);
  ++stats_.frames_sent;
  if (dirty_.empty()) {
    // Frames are flushed at the end of a loop turn. A Send made outside any
    // turn (a client between calls to RunUntil) must not wait for the next
    // timer to end the turn's wait, so wake the loop; inside a turn this
    // costs one cheap task per flush.
    loop_.Post([] {});
  }
  dirty_[connection.id] = true;
  return absl::OkStatus();
}

void TcpNetwork::FlushDirty() {
  std::map<uint64_t, bool> dirty;
  dirty.swap(dirty_);
  for (auto& [id, unused] : dirty) {
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->connecting) continue;
    WriteOut(*it->second);
  }
}

void TcpNetwork::WriteOut(Connection& connection) {
  while (connection.out_offset < connection.out.size()) {
    const ssize_t n = ::send(connection.fd, connection.out.data() + connection.out_offset,
                             connection.out.size() - connection.out_offset, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        loop_.SetWantWrite(connection.fd, true);
        return;
      }
      Close(connection.id, absl::StrCat("send: ", std::strerror(errno)));
      return;
    }
    ++stats_.writes;
    stats_.bytes_written += static_cast<uint64_t>(n);
    connection.out_offset += static_cast<size_t>(n);
  }
  connection.out.clear();
  connection.out_offset = 0;
  budget_.Release(connection.charged_bytes);
  connection.charged_bytes = 0;
  loop_.SetWantWrite(connection.fd, false);
}

void TcpNetwork::OnReady(uint64_t connection_id, uint32_t events) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  if (connection.connecting) {
    if ((events & (kWritable | kHangup)) == 0) return;
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      Close(connection_id, absl::StrCat("connect: ", std::strerror(error)));
      return;
    }
    connection.connecting = false;
    backoff_ns_.erase(connection.remote);
    Log(LogLevel::kDebug, "tcp", "connected", absl::StrCat("peer=", connection.remote));
    WriteOut(connection);
    return;
  }
  if (events & kWritable) {
    WriteOut(connection);
    if (connections_.count(connection_id) == 0) return;
  }
  if (events & kReadable) ReadFrom(connection);
}

void TcpNetwork::ReadFrom(Connection& connection) {
  const uint64_t id = connection.id;
  char buffer[kReadChunkBytes];
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    const ssize_t n = ::recv(connection.fd, buffer, sizeof(buffer), 0);
    if (n == 0) {
      Close(id, "closed by remote");
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Close(id, absl::StrCat("recv: ", std::strerror(errno)));
      return;
    }
    connection.decoder.Append(absl::string_view(buffer, static_cast<size_t>(n)));
    while (true) {
      absl::StatusOr<std::optional<std::string>> frame = connection.decoder.Next();
      if (!frame.ok()) {
        ++stats_.bad_frames;
        Log(LogLevel::kWarn, "tcp", absl::StrCat("bad frame, closing: ", frame.status().message()),
            absl::StrCat("remote=", connection.remote));
        Close(id, "bad frame");
        return;
      }
      if (!frame->has_value()) break;
      if (!HandleFrame(connection, std::move(**frame))) return;
    }
    // A partial frame waiting for its rest is charged to the budget: a peer
    // cannot make the node buffer 16 MiB per connection for free.
    const int64_t buffered = static_cast<int64_t>(connection.decoder.buffered_bytes());
    if (buffered > connection.charged_input_bytes) {
      absl::Status s = budget_.Reserve(buffered - connection.charged_input_bytes, "tcp receive buffer");
      if (!s.ok()) {
        Log(LogLevel::kWarn, "tcp", absl::StrCat("closing connection: ", s.message()),
            absl::StrCat("remote=", connection.remote));
        Close(id, "receive buffer over the memory budget");
        return;
      }
    } else {
      budget_.Release(connection.charged_input_bytes - buffered);
    }
    connection.charged_input_bytes = buffered;
  }
}

bool TcpNetwork::HandleFrame(Connection& connection, std::string payload) {
  if (connection.role == Connection::Role::kInboundPeer && !connection.hello_seen) {
    env::NodeId id = 0;
    if (!ParseHello(payload, id) || options_.peers.count(id) == 0) {
      ++stats_.bad_frames;
      Log(LogLevel::kWarn, "tcp", "first frame on the peer port is not a hello from a known node; closing");
      Close(connection.id, "bad hello");
      return false;
    }
    connection.remote = id;
    connection.hello_seen = true;
    return true;
  }
  ++stats_.frames_received;
  const uint64_t id = connection.id;
  if (receiver_) receiver_(connection.remote, payload);
  return connections_.count(id) != 0;
}

void TcpNetwork::Close(uint64_t connection_id, absl::string_view why) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  std::unique_ptr<Connection> connection = std::move(it->second);
  connections_.erase(it);
  dirty_.erase(connection_id);
  ++stats_.disconnects;
  loop_.Unwatch(connection->fd);
  ::close(connection->fd);
  budget_.Release(connection->charged_bytes + connection->charged_input_bytes);
  const LogLevel level = connection->role == Connection::Role::kInboundClient ? LogLevel::kDebug
                                                                              : LogLevel::kInfo;
  Log(level, "tcp", absl::StrCat("connection closed: ", why),
      absl::StrCat("remote=", connection->remote));
  if (connection->role == Connection::Role::kInboundClient) {
    clients_.erase(connection->remote);
  }
  if (connection->role == Connection::Role::kOutbound) {
    const env::NodeId peer = connection->remote;
    outbound_.erase(peer);
    // Exponential backoff: initial, doubled per failure, capped; reset on success.
    env::DurationNs& backoff = backoff_ns_[peer];
    backoff = backoff == 0 ? options_.reconnect_initial_ns
                           : std::min(backoff * 2, options_.reconnect_max_ns);
    reconnect_timers_[peer] = loop_.After(backoff, [this, peer] { Connect(peer); });
  }
}

}  // namespace kv::backend
