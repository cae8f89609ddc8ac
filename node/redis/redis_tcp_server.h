#pragma once
// RedisTcpServer: a RESP2 listener that serves PING, ECHO, GET, SET, DEL and
// the handshake commands that redis-cli and redis-benchmark send (CONFIG GET,
// CLIENT, SELECT 0, COMMAND, INFO, QUIT) by calling the cluster through the
// KV client library. Unknown commands get "-ERR unknown command". Layer:
// node/redis (real nodes only).
//
// Each Redis connection gets its own KvClient (and client network), created
// at its first data command. Replies go out in the order of the commands.
// A run of pipelined GETs runs at once (up to kMaxConcurrentReads), so they
// share the cluster's read batching; any other command runs alone, after
// everything before it has finished and before anything after it starts:
// a connection's commands so take effect in their order, as in Redis, and
// the client library's one write in flight per client is respected.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/backend/event_loop.h"
#include "node/backend/raw_tcp_server.h"
#include "node/backend/tcp_network.h"
#include "node/env/env.h"
#include "node/kv/cluster_config.h"
#include "node/kv/kv_client.h"
#include "node/metrics/prometheus_text.h"
#include "node/redis/resp_parser.h"

namespace kv::redis {

class RedisTcpServer {
 public:
  // `loop`, `budget`, `cluster` and `random` must outlive the server.
  RedisTcpServer(backend::EventLoop& loop, env::MemoryBudget& budget, const node::Cluster& cluster,
                 env::Random& random);
  ~RedisTcpServer();

  // Returns the bound port. Errors as RawTcpServer::Listen.
  [[nodiscard]] absl::StatusOr<int> Listen(absl::string_view address) { return server_.Listen(address); }
  void CloseListener() { server_.CloseListener(); }
  // Shutdown drain: commands not yet started are answered "-ERR node is
  // shutting down" (the command running on each connection finishes).
  void BeginDrain() { draining_ = true; }
  // Connections with a command running.
  size_t busy_sessions() const;
  // GETs one connection may have running at once.
  static constexpr size_t kMaxConcurrentReads = 32;
  // Bytes of replies not yet written (RawTcpServer) plus the sessions'
  // client networks' queued requests.
  int64_t queued_output_bytes() const;

  // Request counts by command and outcome, and latency histograms by
  // command, in Prometheus text.
  std::string RenderMetrics() const;

 private:
  // A started command, in the connection's order; its reply waits here
  // until the commands before it have been answered.
  struct Running {
    bool is_read = false;
    bool done = false;
    bool close_after = false;  // QUIT.
    std::string reply;
  };
  struct Session {
    std::deque<std::vector<std::string>> pending;  // Parsed, not started.
    // A protocol error after the pending commands: its reply goes out (and
    // the connection closes) once they are all answered; the input after it
    // is dropped.
    std::string protocol_error_reply;
    std::deque<Running> running;
    uint64_t first_running_seq = 0;  // The sequence number of running.front().
    std::unique_ptr<backend::TcpNetwork> network;
    std::unique_ptr<env::Env> env;
    std::unique_ptr<node::KvClient> client;
  };

  void OnData(uint64_t id, std::string& input);
  void OnClose(uint64_t id);
  // Starts what may start of the queued commands (see the class comment).
  void Pump(uint64_t id);
  // Runs one command; calls Finish(id, seq, command, reply, outcome, start)
  // when done, where seq is the command's sequence number in the session.
  void Execute(uint64_t id, Session& session, uint64_t seq, std::vector<std::string> args);
  void Finish(uint64_t id, uint64_t seq, const std::string& command, std::string reply,
              absl::string_view outcome, env::TimeNs start_ns);
  // Once every command before it is answered: sends the session's protocol
  // error and closes the connection after it.
  void MaybeSendProtocolError(uint64_t id, Session& session);
  // Sends the replies of the finished commands at the front, in order.
  void SendFinishedReplies(uint64_t id, Session& session);
  node::KvClient& ClientOf(Session& session);

  backend::EventLoop& loop_;
  env::MemoryBudget& budget_;
  const node::Cluster& cluster_;
  env::Random& random_;
  backend::RawTcpServer server_;
  RespLimits limits_;
  std::map<uint64_t, std::unique_ptr<Session>> sessions_;
  // Sessions of closed connections, destroyed on the next turn (not inside
  // their own callbacks).
  std::vector<std::unique_ptr<Session>> parked_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;  // (command, outcome).
  std::map<std::string, metrics::Histogram> latency_ns_;
  bool draining_ = false;
  // The most commands one connection has had running at once.
  size_t running_peak_ = 0;
  std::shared_ptr<bool> alive_;
};

}  // namespace kv::redis
