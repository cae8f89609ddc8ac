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

// The hello frame's payload: kHelloMagic, the sender's node id (u32 LE),
// then its cluster fingerprint (u64 LE). The first version, kHelloMagicV1
// and the id only, carries no fingerprint and is refused by name.
constexpr absl::string_view kHelloMagic = "KVHELLO2";
constexpr size_t kHelloBytes = 20;
constexpr absl::string_view kHelloMagicV1 = "KVHELLO1";
constexpr size_t kHelloV1Bytes = 12;
// A refused hello is logged at warn at most this often per reason and
// claimed node id (the rest at debug); the counters count every one.
constexpr env::DurationNs kHelloRefusalLogIntervalNs = 10 * env::kSecond;

std::string HelloPayload(env::NodeId self, uint64_t cluster_fingerprint) {
  std::string out(kHelloMagic);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((self >> (8 * i)) & 0xff));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((cluster_fingerprint >> (8 * i)) & 0xff));
  return out;
}

uint64_t ReadLittleEndian(absl::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  }
  return value;
}

struct Hello {
  enum class Kind { kMalformed, kNoFingerprint, kOk };
  Kind kind = Kind::kMalformed;
  env::NodeId id = 0;  // Valid unless kMalformed.
  uint64_t cluster_fingerprint = 0;  // Valid for kOk.
};

// Any bytes are accepted as input: what is not exactly one of the two
// layouts is kMalformed.
Hello ParseHello(absl::string_view payload) {
  Hello hello;
  if (payload.size() == kHelloBytes && payload.substr(0, kHelloMagic.size()) == kHelloMagic) {
    hello.kind = Hello::Kind::kOk;
    hello.id = static_cast<env::NodeId>(ReadLittleEndian(payload.substr(8, 4)));
    hello.cluster_fingerprint = ReadLittleEndian(payload.substr(12, 8));
  } else if (payload.size() == kHelloV1Bytes &&
             payload.substr(0, kHelloMagicV1.size()) == kHelloMagicV1) {
    hello.kind = Hello::Kind::kNoFingerprint;
    hello.id = static_cast<env::NodeId>(ReadLittleEndian(payload.substr(8, 4)));
  }
  return hello;
}

// The connected peer's "ip:port", or "?" if the socket cannot say.
std::string PeerAddressOf(int fd) {
  sockaddr_in addr{};
  socklen_t length = sizeof(addr);
  char host[INET_ADDRSTRLEN] = {};
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0 || addr.sin_family != AF_INET ||
      ::inet_ntop(AF_INET, &addr.sin_addr, host, sizeof(host)) == nullptr) {
    return "?";
  }
  return absl::StrCat(host, ":", ntohs(addr.sin_port));
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
  std::string remote_address;  // "ip:port" of an inbound peer connection, for its log lines.
  bool hello_seen = false;
  env::TimeNs connected_at_ns = 0;  // Outbound: when the connect completed.
  bool connecting = false;
  FrameDecoder decoder;
  std::string out;            // Frames queued, not yet handed to the loop.
  int64_t in_flight_bytes = 0;  // Bytes of the write the loop is doing (0: none).
  int64_t in_flight_charged = 0;  // Of those, bytes charged to the budget.
  int64_t uncharged_out_bytes = 0;  // The hello at the front of `out`, never charged.
  bool write_in_flight = false;
  int64_t charged_bytes = 0;  // Reserved in the budget for `out` and the write in flight.
  int64_t charged_input_bytes = 0;  // Reserved for the decoder's partial frame.
  bool read_paused = false;
};

TcpNetwork::TcpNetwork(EventLoop& loop, env::MemoryBudget& budget, TcpNetworkOptions options)
    : loop_(loop), budget_(budget), options_(std::move(options)), alive_(std::make_shared<bool>(true)) {
  loop_.AddEndOfTurnHook([this, alive = alive_] {
    if (!*alive) return;
    FlushDirty();
    ResumePaused();
  });
}

TcpNetwork::~TcpNetwork() {
  *alive_ = false;
  CloseListeners();
  for (auto& [peer, timer] : reconnect_timers_) loop_.Cancel(timer);
  for (auto& [id, connection] : connections_) {
    loop_.CloseSocket(connection->fd);
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
  loop_.AcceptOn(fd, [this, kind](int accepted) { OnAccept(accepted, kind); });
  listeners_[fd] = Listener{fd, kind};
  return static_cast<int>(ntohs(addr.sin_port));
}

void TcpNetwork::CloseListeners() {
  for (auto& [fd, listener] : listeners_) loop_.CloseSocket(fd);
  listeners_.clear();
}

void TcpNetwork::SetPeerAddress(env::NodeId peer, std::string address) {
  options_.peers[peer] = std::move(address);
  auto it = outbound_.find(peer);
  if (it != outbound_.end()) Close(it->second, "peer address changed");
}

void TcpNetwork::OnAccept(int fd, ListenerKind kind) {
  if (fd < 0) {
    if (-fd != EAGAIN && -fd != EINTR && -fd != ECONNABORTED) {
      Log(LogLevel::kWarn, "tcp", absl::StrCat("accept: ", std::strerror(-fd)));
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
    connection->remote_address = PeerAddressOf(fd);
  }
  ++stats_.connections_accepted;
  Connection& c = *connection;
  connections_[c.id] = std::move(connection);
  StartReading(c);
}

void TcpNetwork::StartReading(Connection& connection) {
  const uint64_t id = connection.id;
  loop_.ReadFrom(connection.fd, [this, id](absl::string_view bytes, int error) {
    return OnBytes(id, bytes, error);
  });
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
  connection->connecting = true;
  const uint64_t id = connection->id;
  ++stats_.connects;
  Connection& c = *connection;
  connections_[id] = std::move(connection);
  outbound_[peer] = id;
  if (options_.send_hello) {
    // The hello is tiny and not charged: it is bounded by one per connection.
    AppendFrame(HelloPayload(options_.self, options_.cluster_fingerprint), c.out);
    c.uncharged_out_bytes = static_cast<int64_t>(c.out.size());
  }
  loop_.ConnectSocket(fd, addr, [this, id](int error) { OnConnected(id, error); });
}

void TcpNetwork::OnConnected(uint64_t connection_id, int error) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  if (error != 0) {
    Close(connection_id, absl::StrCat("connect: ", std::strerror(error)));
    return;
  }
  connection.connecting = false;
  // The backoff is reset only once the connection has lasted (see Close): a
  // peer that accepts and then refuses our hello must not be redialled
  // every reconnect_initial_ns.
  connection.connected_at_ns = loop_.NowNs();
  Log(LogLevel::kDebug, "tcp", "connected", absl::StrCat("peer=", connection.remote));
  StartReading(connection);
  WriteOut(connection);
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

int64_t TcpNetwork::queued_output_bytes() const {
  int64_t total = 0;
  for (const auto& [id, connection] : connections_) {
    if (!connection->connecting) total += QueuedBytes(*connection);
  }
  return total;
}

int64_t TcpNetwork::QueuedBytes(const Connection& connection) const {
  return static_cast<int64_t>(connection.out.size()) + connection.in_flight_bytes;
}

absl::Status TcpNetwork::Enqueue(Connection& connection, absl::string_view payload) {
  const int64_t frame_bytes = static_cast<int64_t>(payload.size() + kFrameHeaderBytes);
  const int64_t queued = QueuedBytes(connection);
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
  if (connection.write_in_flight || connection.out.empty()) return;
  connection.write_in_flight = true;
  connection.in_flight_bytes = static_cast<int64_t>(connection.out.size());
  connection.in_flight_charged = connection.in_flight_bytes - connection.uncharged_out_bytes;
  connection.uncharged_out_bytes = 0;
  ++stats_.writes;
  const uint64_t id = connection.id;
  std::string bytes;
  bytes.swap(connection.out);
  loop_.WriteTo(connection.fd, std::move(bytes), [this, id](int error) { OnWritten(id, error); });
}

void TcpNetwork::OnWritten(uint64_t connection_id, int error) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  if (error != 0) {
    Close(connection_id, absl::StrCat("send: ", std::strerror(error)));
    return;
  }
  stats_.bytes_written += static_cast<uint64_t>(connection.in_flight_bytes);
  budget_.Release(connection.in_flight_charged);
  connection.charged_bytes -= connection.in_flight_charged;
  connection.in_flight_bytes = 0;
  connection.in_flight_charged = 0;
  connection.write_in_flight = false;
  if (!connection.out.empty()) dirty_[connection_id] = true;  // Flushed at the end of this turn.
}

bool TcpNetwork::MayRead(Connection& connection) {
  // A client that does not read its replies is not read either.
  if (QueuedBytes(connection) > options_.max_queued_bytes_per_connection / 2) return false;
  // A partial frame waiting for its rest is charged to the budget: a peer
  // cannot make the node buffer 16 MiB per connection for free.
  const int64_t buffered = static_cast<int64_t>(connection.decoder.buffered_bytes());
  if (buffered > connection.charged_input_bytes) {
    if (!budget_.Reserve(buffered - connection.charged_input_bytes, "tcp receive buffer").ok()) {
      return false;
    }
  } else {
    budget_.Release(connection.charged_input_bytes - buffered);
  }
  connection.charged_input_bytes = buffered;
  return true;
}

bool TcpNetwork::OnBytes(uint64_t connection_id, absl::string_view bytes, int error) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return false;
  Connection& connection = *it->second;
  if (bytes.empty()) {
    Close(connection_id, error == 0 ? "closed by remote" : absl::StrCat("recv: ", std::strerror(error)));
    return false;
  }
  connection.decoder.Append(bytes);
  while (true) {
    absl::StatusOr<std::optional<std::string>> frame = connection.decoder.Next();
    if (!frame.ok()) {
      ++stats_.bad_frames;
      Log(LogLevel::kWarn, "tcp", absl::StrCat("bad frame, closing: ", frame.status().message()),
          absl::StrCat("remote=", connection.remote));
      Close(connection_id, "bad frame");
      return false;
    }
    if (!frame->has_value()) break;
    if (!HandleFrame(connection, std::move(**frame))) return false;
  }
  // A frame that could never be charged would pause the connection for
  // good: refuse it as oversized for this node instead.
  if (static_cast<int64_t>(connection.decoder.next_frame_bytes()) > budget_.limit_bytes()) {
    ++stats_.bad_frames;
    Log(LogLevel::kWarn, "tcp",
        absl::StrCat("frame of ", connection.decoder.next_frame_bytes(),
                     " bytes is larger than the memory budget (", budget_.limit_bytes(), "); closing"),
        absl::StrCat("remote=", connection.remote));
    Close(connection_id, "frame larger than the memory budget");
    return false;
  }
  if (MayRead(connection)) return true;
  // Back-pressure: stop reading; ResumePaused retries at the end of turns.
  // What this read added beyond the charge (at most one read chunk) stays
  // uncharged until then.
  ++stats_.read_pauses;
  connection.read_paused = true;
  paused_[connection_id] = true;
  Log(LogLevel::kDebug, "tcp", "reading paused (back-pressure)",
      absl::StrCat("remote=", connection.remote, " queued_out=", QueuedBytes(connection),
                   " partial_in=", connection.decoder.buffered_bytes()));
  return false;
}

void TcpNetwork::ResumePaused() {
  if (paused_.empty()) return;
  std::vector<uint64_t> resume;
  for (auto& [id, unused] : paused_) {
    auto it = connections_.find(id);
    if (it == connections_.end()) {
      resume.push_back(id);  // Closed: just forget it.
      continue;
    }
    Connection& connection = *it->second;
    // Hysteresis: resume once the output fell to a quarter of the cap, so a
    // slow reader is not toggled on every write.
    if (QueuedBytes(connection) > options_.max_queued_bytes_per_connection / 4) continue;
    if (!MayRead(connection)) continue;
    connection.read_paused = false;
    resume.push_back(id);
    loop_.ResumeReading(connection.fd);
  }
  for (uint64_t id : resume) paused_.erase(id);
}

bool TcpNetwork::HandleFrame(Connection& connection, std::string payload) {
  if (connection.role == Connection::Role::kInboundPeer && !connection.hello_seen) {
    return AcceptHello(connection, payload);
  }
  ++stats_.frames_received;
  const uint64_t id = connection.id;
  if (receiver_) receiver_(connection.remote, payload);
  return connections_.count(id) != 0;
}

bool TcpNetwork::AcceptHello(Connection& connection, absl::string_view payload) {
  const Hello hello = ParseHello(payload);
  const std::string from = absl::StrCat("from=", connection.remote_address);
  switch (hello.kind) {
    case Hello::Kind::kMalformed:
      ++stats_.bad_frames;
      Log(LogLevel::kWarn, "tcp",
          absl::StrCat("first frame on the peer port is not a hello (", payload.size(),
                       " bytes; a hello is ", kHelloBytes, "); closing"),
          from);
      Close(connection.id, "bad hello");
      return false;
    case Hello::Kind::kNoFingerprint:
      ++stats_.hellos_without_fingerprint;
      LogHelloRefusal(HelloRefusal::kNoFingerprint, hello.id,
                      "refusing peer: its hello (KVHELLO1) carries no cluster fingerprint, so it runs "
                      "an older kvnode; run the same kvnode version with the same cluster file on every node",
                      absl::StrCat("peer=", hello.id, " ", from));
      Close(connection.id, "hello without a cluster fingerprint");
      return false;
    case Hello::Kind::kOk:
      break;
  }
  if (hello.cluster_fingerprint != options_.cluster_fingerprint) {
    ++stats_.hello_fingerprint_mismatches;
    LogHelloRefusal(HelloRefusal::kFingerprintMismatch, hello.id,
                    "refusing peer: cluster fingerprint mismatch; the two nodes were started with "
                    "different cluster files (compare them; kvctl status shows each node's fingerprint)",
                    absl::StrCat("peer=", hello.id, " ", from, " peer_fingerprint=",
                                 absl::Hex(hello.cluster_fingerprint, absl::kZeroPad16),
                                 " local_fingerprint=",
                                 absl::Hex(options_.cluster_fingerprint, absl::kZeroPad16)));
    Close(connection.id, "cluster fingerprint mismatch");
    return false;
  }
  if (options_.peers.count(hello.id) == 0) {
    // The same cluster file, yet an id that is not a peer's: this node's
    // own or one beyond the file, which kvnode never sends (a hand-made
    // hello, or another program).
    ++stats_.bad_frames;
    Log(LogLevel::kWarn, "tcp",
        absl::StrCat("hello from node ", hello.id, ", which is not a peer of node ", options_.self,
                     " in the cluster file; closing"),
        from);
    Close(connection.id, "bad hello");
    return false;
  }
  connection.remote = hello.id;
  connection.hello_seen = true;
  return true;
}

void TcpNetwork::LogHelloRefusal(HelloRefusal reason, env::NodeId claimed, absl::string_view message,
                                 absl::string_view fields) {
  // Keyed by the claimed id when it is a peer's, else by one shared id, so
  // the table stays bounded by twice the cluster size.
  const env::NodeId id = options_.peers.count(claimed) != 0 ? claimed : options_.self;
  HelloRefusalLog& log = hello_refusal_logs_[{id, reason}];
  const env::TimeNs now = loop_.NowNs();
  ++log.refused;
  const bool warn = log.refused == 1 || now - log.last_warn_ns >= kHelloRefusalLogIntervalNs;
  if (warn) log.last_warn_ns = now;
  Log(warn ? LogLevel::kWarn : LogLevel::kDebug, "tcp", message,
      absl::StrCat(fields, " refused_total=", log.refused));
}

void TcpNetwork::Close(uint64_t connection_id, absl::string_view why) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  std::unique_ptr<Connection> connection = std::move(it->second);
  connections_.erase(it);
  dirty_.erase(connection_id);
  paused_.erase(connection_id);
  ++stats_.disconnects;
  loop_.CloseSocket(connection->fd);
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
    // Exponential backoff: initial, doubled per failure, capped; reset after
    // a connection that stayed up for reconnect_max_ns (a peer that closes
    // at once, as one refusing our hello does, keeps the backoff growing).
    if (!connection->connecting &&
        loop_.NowNs() - connection->connected_at_ns >= options_.reconnect_max_ns) {
      backoff_ns_.erase(peer);
    }
    env::DurationNs& backoff = backoff_ns_[peer];
    backoff = backoff == 0 ? options_.reconnect_initial_ns
                           : std::min(backoff * 2, options_.reconnect_max_ns);
    reconnect_timers_[peer] = loop_.After(backoff, [this, peer] { Connect(peer); });
  }
}

}  // namespace kv::backend
