#pragma once
// TcpNetwork: env::Network over TCP on an EventLoop. Layer: node/backend
// (real nodes only).
//
// - I/O: through the loop's completion-style socket calls (event_loop.h), so
//   the io_uring backend moves the bytes on its ring and epoll with syscalls.
// - Frames: frame_codec.h (length + CRC32C + protobuf bytes). A malformed
//   frame, bad checksum or oversized length closes the connection with a
//   logged error; the node keeps serving.
// - Peers: one outbound connection per known peer (options.peers), opened on
//   the first Send and re-opened with exponential backoff after a failure.
//   When options.send_hello is set, the first frame is a hello naming this
//   node and its cluster fingerprint (node/kv/cluster_fingerprint.h), so the
//   peer's kPeer listener knows who is talking. A kPeer listener refuses
//   (closes, delivering nothing from it) a connection whose first frame is
//   not a hello, carries no fingerprint (the older KVHELLO1), carries a
//   fingerprint other than options.cluster_fingerprint, or names a node that
//   is not in options.peers; each refusal is counted and logged. Frames
//   queued for a connection that breaks are dropped (the env contract
//   allows loss). The reconnect backoff is reset only by a connection that
//   lasted reconnect_max_ns, so a peer that refuses us is redialled about
//   once per reconnect_max_ns, not once per reconnect_initial_ns.
// - Clients: each connection accepted by a kClient listener gets a pseudo
//   node id (>= kFirstClientId); messages from it are delivered from that id,
//   and Send(that id) writes back on the same connection.
// - Write coalescing: Send appends to the connection's buffer; buffers are
//   written at the end of the loop turn, many frames per write. One write
//   per connection is in flight; frames queued meanwhile go in the next.
// - Bounded buffers: queued outgoing bytes are charged to the MemoryBudget
//   and capped per connection; beyond that Send returns kResourceExhausted.
// - Back-pressure: a partial incoming frame is charged to the budget. When
//   the budget refuses, or the connection's own unsent output passes half
//   its cap (a client that does not read its replies), the connection stops
//   being read (the kernel's socket buffers then push back on the sender)
//   until the output drains below a quarter of the cap and the budget takes
//   the partial frame; checked at the end of every loop turn. Only
//   malformed input closes a connection, and a frame longer than the whole
//   budget, which could never be charged.
// Loop thread only.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/backend/event_loop.h"
#include "node/backend/frame_codec.h"
#include "node/env/memory_budget.h"
#include "node/env/network.h"

namespace kv::backend {

// Pseudo node ids of accepted client connections start here.
inline constexpr env::NodeId kFirstClientId = 1u << 30;

struct TcpNetworkOptions {
  env::NodeId self = 0;
  // Outbound addresses ("host:port", numeric IPv4) by node id.
  std::map<env::NodeId, std::string> peers;
  // Send a hello frame naming `self` and `cluster_fingerprint` first on
  // every outbound connection.
  bool send_hello = true;
  // What every member of the cluster must agree on, as a 64-bit digest
  // (kvnode: node::ClusterFingerprint). Sent in the hello; a kPeer listener
  // refuses a hello carrying any other value.
  uint64_t cluster_fingerprint = 0;
  // Cap on bytes queued for one connection (also charged to the budget).
  int64_t max_queued_bytes_per_connection = 64ll << 20;
  env::DurationNs reconnect_initial_ns = 10 * env::kMillisecond;
  env::DurationNs reconnect_max_ns = 1 * env::kSecond;
};

struct TcpNetworkStats {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t bytes_written = 0;
  uint64_t writes = 0;  // write(2) calls that wrote bytes (coalescing: < frames_sent).
  uint64_t bad_frames = 0;
  uint64_t connections_accepted = 0;
  uint64_t connects = 0;
  uint64_t disconnects = 0;
  uint64_t send_refused = 0;
  uint64_t read_pauses = 0;  // Times a connection stopped being read (back-pressure).
  // Peer hellos refused: a different cluster fingerprint, or none (KVHELLO1).
  // Malformed hellos and unknown node ids count in bad_frames.
  uint64_t hello_fingerprint_mismatches = 0;
  uint64_t hellos_without_fingerprint = 0;
};

// What an accepted connection is.
enum class ListenerKind { kPeer, kClient };

// Parses "host:port" (numeric IPv4, or "localhost"). Errors: kInvalidArgument.
[[nodiscard]] absl::Status ParseAddress(absl::string_view address, std::string& host, int& port);

class TcpNetwork final : public env::Network {
 public:
  // `loop` and `budget` must outlive the network.
  TcpNetwork(EventLoop& loop, env::MemoryBudget& budget, TcpNetworkOptions options);
  ~TcpNetwork() override;
  TcpNetwork(const TcpNetwork&) = delete;
  TcpNetwork& operator=(const TcpNetwork&) = delete;

  // Listens on `address` (port 0 picks a free port). Returns the bound port.
  // Errors: kInvalidArgument for a bad address, kUnavailable for bind/listen.
  [[nodiscard]] absl::StatusOr<int> Listen(absl::string_view address, ListenerKind kind);
  // Closes every listener (shutdown: stop accepting; connections stay).
  void CloseListeners();
  // Changes the address of a peer (tests restart peers on new ports) and
  // drops its current connection.
  void SetPeerAddress(env::NodeId peer, std::string address);

  env::NodeId self() const override { return options_.self; }
  [[nodiscard]] absl::Status Send(env::NodeId to, std::string bytes) override;
  void SetReceiver(OnMessage on_message) override { receiver_ = std::move(on_message); }

  const TcpNetworkStats& stats() const { return stats_; }
  // Open accepted client connections.
  size_t client_connection_count() const { return clients_.size(); }
  // Bytes queued or being written on all connections (a shutdown drain
  // waits for the replies to leave).
  int64_t queued_output_bytes() const;
  // Connections not being read right now (back-pressure).
  size_t paused_connection_count() const { return paused_.size(); }

 private:
  struct Connection;
  struct Listener {
    int fd = -1;
    ListenerKind kind = ListenerKind::kPeer;
  };

  void OnAccept(int fd, ListenerKind kind);
  void Connect(env::NodeId peer);
  void OnConnected(uint64_t connection_id, int error);
  void StartReading(Connection& connection);
  // Handles received bytes; returns whether to keep reading.
  bool OnBytes(uint64_t connection_id, absl::string_view bytes, int error);
  // Returns false when the connection was closed.
  bool HandleFrame(Connection& connection, std::string payload);
  // The first frame of an inbound peer connection: accepts a hello from a
  // peer with this node's cluster fingerprint, else refuses and closes.
  // Returns whether the connection stays open.
  bool AcceptHello(Connection& connection, absl::string_view payload);
  enum class HelloRefusal { kNoFingerprint, kFingerprintMismatch };
  // Logs a refused hello at warn, or at debug if a warn line for the same
  // reason and claimed id was written within the last 10 s.
  void LogHelloRefusal(HelloRefusal reason, env::NodeId claimed, absl::string_view message,
                       absl::string_view fields);
  void WriteOut(Connection& connection);
  void OnWritten(uint64_t connection_id, int error);
  void Close(uint64_t connection_id, absl::string_view why);
  void FlushDirty();
  // Back-pressure: whether the connection may be read now (charging its
  // partial frame to the budget), and the end-of-turn retry of paused ones.
  bool MayRead(Connection& connection);
  void ResumePaused();
  int64_t QueuedBytes(const Connection& connection) const;
  [[nodiscard]] absl::Status Enqueue(Connection& connection, absl::string_view payload);

  EventLoop& loop_;
  env::MemoryBudget& budget_;
  TcpNetworkOptions options_;
  OnMessage receiver_;
  std::map<int, Listener> listeners_;  // By fd.
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;  // By connection id.
  std::map<env::NodeId, uint64_t> outbound_;  // Peer -> connection id.
  std::map<env::NodeId, uint64_t> clients_;   // Pseudo id -> connection id.
  std::map<env::NodeId, env::DurationNs> backoff_ns_;
  std::map<env::NodeId, env::TimerId> reconnect_timers_;
  std::map<uint64_t, bool> dirty_;  // Connections with bytes to write.
  std::map<uint64_t, bool> paused_;  // Connections whose reading is paused.
  uint64_t next_connection_id_ = 1;
  env::NodeId next_client_id_ = kFirstClientId;
  struct HelloRefusalLog {
    env::TimeNs last_warn_ns = 0;
    uint64_t refused = 0;  // Hellos refused from this claimed id, ever.
  };
  // By claimed peer id (ids that are not peers share options_.self's entry)
  // and reason.
  std::map<std::pair<env::NodeId, HelloRefusal>, HelloRefusalLog> hello_refusal_logs_;
  TcpNetworkStats stats_;
  std::shared_ptr<bool> alive_;
};

}  // namespace kv::backend
