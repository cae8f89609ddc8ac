#pragma once
// RawTcpServer: a byte-stream TCP listener on an EventLoop for the text
// protocols of a node (HTTP /metrics, RESP2). The protocol handler parses the
// connection's input buffer and answers through Reply(), now or later (a
// RESP GET answers when the KV client's callback runs). Layer: node/backend.
//
// Each connection's input is capped (max_input_bytes): a client that sends
// more without a complete request is disconnected. Back-pressure: reading a
// connection pauses while its unsent output is above 1 MiB (a client that
// does not read its replies) or while the handler says it is full
// (PauseInput), and resumes when the output drains below 256 KiB and the
// handler asks for more (Redeliver). I/O goes through the loop's
// completion-style socket calls. Loop thread only.

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
  // Whether the handler still owes connection `id` replies (requests queued
  // or running). Called on the loop thread.
  using OwesReplies = absl::AnyInvocable<bool(uint64_t id)>;

  // `loop` must outlive the server.
  RawTcpServer(EventLoop& loop, absl::string_view name, size_t max_input_bytes, OnData on_data,
               OnClose on_close);
  ~RawTcpServer();
  RawTcpServer(const RawTcpServer&) = delete;
  RawTcpServer& operator=(const RawTcpServer&) = delete;

  // A handler that answers later (RESP commands run on the cluster) says
  // here whether it owes a connection replies: a client that shuts only its
  // sending side after a pipeline is then answered in full before the
  // connection closes. Without it, an ended stream closes once the queued
  // replies are written. Call before Listen.
  void SetOwesReplies(OwesReplies owes_replies) { owes_replies_ = std::move(owes_replies); }

  // What a connection whose buffered input passes max_input_bytes is sent
  // before it closes (the protocol's error for an oversized request).
  // Empty (the default): it closes without a word. Call before Listen.
  void SetOversizedInputReply(std::string reply) { oversized_input_reply_ = std::move(reply); }

  // Listens on "host:port" (port 0: any). Returns the port. Errors as TcpNetwork::Listen.
  [[nodiscard]] absl::StatusOr<int> Listen(absl::string_view address);
  // Stops accepting; open connections stay.
  void CloseListener();

  // Queues `bytes` for connection `id` (ignored if it has closed). With
  // `close_after`, the connection closes once the bytes are written, and
  // input that arrives meanwhile is dropped unread: after a protocol error
  // (or QUIT) nothing more of that stream may run.
  void Reply(uint64_t id, absl::string_view bytes, bool close_after = false);
  // Closes connection `id` now (or, inside its own on_data, when that returns).
  void Close(uint64_t id);
  // Inside on_data: the handler holds all it will take for now; stop reading
  // the connection (bytes left in `input` stay) until Redeliver(id).
  void PauseInput(uint64_t id);
  // The handler has room again: calls on_data with the buffered input (if
  // any) and resumes reading unless it pauses again.
  void Redeliver(uint64_t id);
  // Connections not being read right now (back-pressure), and how many
  // times one was paused so far.
  size_t paused_count() const;
  uint64_t read_pauses() const { return read_pauses_; }

  size_t connection_count() const { return connections_.size(); }
  // Reply bytes queued or being written on all connections.
  size_t queued_output_bytes() const;
  uint64_t connections_accepted() const { return connections_accepted_; }

 private:
  struct Connection {
    int fd = -1;
    std::string input;
    std::string output;           // Queued, not yet handed to the loop.
    size_t in_flight_bytes = 0;   // The write the loop is doing.
    bool write_in_flight = false;
    bool close_after = false;
    bool close_pending = false;   // Close requested inside on_data_.
    bool handler_full = false;    // PauseInput called; cleared by Redeliver.
    bool read_paused = false;     // The loop is not reading the socket.
    bool read_ended = false;      // End of stream seen (the reply may still go out).
  };
  void OnAccept(int fd);
  bool OnBytes(uint64_t id, absl::string_view bytes, int error);
  void Dispatch(uint64_t id);
  void Flush(uint64_t id);
  void OnWritten(uint64_t id, int error);
  bool WantsInput(const Connection& c) const;
  void MaybeResume(uint64_t id);
  // Whether a connection whose stream ended may close now: nothing left to
  // write, and nothing the handler still owes it.
  bool DoneAfterEnd(uint64_t id, const Connection& c);

  EventLoop& loop_;
  std::string name_;
  size_t max_input_bytes_;
  OnData on_data_;
  OnClose on_close_;
  OwesReplies owes_replies_;  // Null: the handler answers at once.
  std::string oversized_input_reply_;
  int listen_fd_ = -1;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_id_ = 1;
  uint64_t connections_accepted_ = 0;
  uint64_t read_pauses_ = 0;
  uint64_t dispatching_id_ = 0;  // Connection whose on_data_ is running; 0: none.
};

}  // namespace kv::backend
