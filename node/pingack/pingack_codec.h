#pragma once
// Wire format of the request/acknowledge protocol. Layer: node.
//
// A frame is: magic (1 byte) | kind (1) | request id (8) | payload length (4)
// | payload | checksum (8), integers little-endian. The checksum covers
// everything before it. Decoding rejects short, oversized, mis-tagged or
// corrupt frames with kInvalidArgument; it never crashes on any input.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::pingack {

enum class FrameKind : uint8_t { kRequest = 1, kAck = 2 };

// Upper bound on a payload; larger frames are refused by Encode and Decode.
inline constexpr uint32_t kMaxPayloadBytes = 64 * 1024;

struct Frame {
  FrameKind kind = FrameKind::kRequest;
  uint64_t request_id = 0;
  std::string payload;
  friend bool operator==(const Frame&, const Frame&) = default;
};

// Serializes `frame`. Precondition: payload.size() <= kMaxPayloadBytes.
std::string EncodeFrame(const Frame& frame);

// Parses bytes produced by EncodeFrame.
[[nodiscard]] absl::StatusOr<Frame> DecodeFrame(absl::string_view bytes);

// The checksum used by frames: a 64-bit mix over the bytes.
uint64_t FrameChecksum(absl::string_view bytes);

}  // namespace kv::pingack
