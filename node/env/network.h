#pragma once
// Network: unreliable datagram-style messaging between nodes. Layer: node/env.
//
// Messages cross this seam as serialized bytes, exactly as they would cross
// TCP, so that the codec, framing and size limits are exercised in simulation.

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "node/env/types.h"

namespace kv::env {

// The largest message a node may send (16 MiB). Larger ones are refused by
// Send with kInvalidArgument; the caller must chunk (snapshots do).
inline constexpr int64_t kMaxMessageBytes = 16 * 1024 * 1024;

// Network contract:
// - Send(to, bytes) is best effort and never blocks. The message may be lost,
//   delayed, duplicated or reordered relative to others (the simulator does
//   all of these; TCP reconnects can too). A delivered message is delivered
//   whole and unmodified: transports verify checksums and drop corrupt frames.
// - Send returns kInvalidArgument for an empty or oversized message or an
//   unknown peer, and kResourceExhausted when the outgoing buffers for the
//   peer are full (retry later). An OK status does not mean delivery.
// - Sending to self is allowed and goes through the same path.
// - Delivery calls the receiver installed by SetReceiver, on the node's logic
//   thread, never inline within Send. Messages that arrive with no receiver
//   installed are dropped.
// Not thread-safe: call only from the node's logic thread.
class Network {
 public:
  using OnMessage = absl::AnyInvocable<void(NodeId from, absl::string_view bytes)>;

  virtual ~Network() = default;

  // The id of this node.
  virtual NodeId self() const = 0;

  // Queues `bytes` for `to`. Takes ownership of the buffer (no copy).
  [[nodiscard]] virtual absl::Status Send(NodeId to, std::string bytes) = 0;

  // Installs the receive callback, replacing any previous one.
  virtual void SetReceiver(OnMessage on_message) = 0;
};

}  // namespace kv::env
