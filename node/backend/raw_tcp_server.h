#pragma once
// RawTcpServer: a byte-stream TCP listener on an EventLoop for the text
// protocols of a node (HTTP /metrics, RESP2). The protocol handler parses the
// connection's input buffer and answers through Reply(), now or later (a
// RESP GET answers when the KV client's callback runs). Layer: node/backend.
//
// Each connection's input is capped (max_input_bytes): a client that sends
// more without a complete request is disconnected. Loop thread only.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/backend/event_loop.h"

namespace kv::backend {

class RawTcpServer {
 public:
  // Called on the loop thread when bytes arrive on connection `id`. The
  // handler consumes what it parsed from `input` (erase the prefix) and
  // leaves a partial request in place.
  using OnData = absl::AnyInvocable<void(uint64_t id, std::string& input)>;
  // Called once when connection `id` closes (either side).
  using OnClose = absl::AnyInvocable<void(uint64_t id)>;

  // `loop` must outlive the server.
  RawTcpServer(EventLoop& loop, absl::string_view name, size_t max_input_bytes, OnData on_data,
               OnClose on_close);
  ~RawTcpServer();
  RawTcpServer(const RawTcpServer&) = delete;
  RawTcpServer& operator=(const RawTcpServer&) = delete;

  // Listens on "host:port" (port 0: any). Returns the port. Errors as TcpNetwork::Listen.
  [[nodiscard]] absl::StatusOr<int> Listen(absl::string_view address);
  // Stops accepting; open connections stay.
  void CloseListener();

  // Queues `bytes` for connection `id` (ignored if it has closed). With
  // `close_after`, the connection closes once the bytes are written.
  void Reply(uint64_t id, absl::string_view bytes, bool close_after = false);
  // Closes connection `id` now (or, inside its own on_data, when that returns).
  void Close(uint64_t id);

  size_t connection_count() const { return connections_.size(); }
  uint64_t connections_accepted() const { return connections_accepted_; }

 private:
  struct Connection {
    int fd = -1;
    std::string input;
    std::string output;
    bool close_after = false;
    bool close_pending = false;  // Close requested inside on_data_.
  };
  void OnAccept();
  void OnReady(uint64_t id, uint32_t events);
  void Flush(uint64_t id);

  EventLoop& loop_;
  std::string name_;
  size_t max_input_bytes_;
  OnData on_data_;
  OnClose on_close_;
  int listen_fd_ = -1;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_id_ = 1;
  uint64_t connections_accepted_ = 0;
  uint64_t dispatching_id_ = 0;  // Connection whose on_data_ is running; 0: none.
};

}  // namespace kv::backend
