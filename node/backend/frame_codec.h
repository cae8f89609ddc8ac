#pragma once
// Frame codec of the TCP transport: every message on a connection is one
// frame. Layer: node/backend (real nodes only).
//
//   u32 length (little endian)   payload bytes, 1 <= length <= kMaxFrameBytes
//   u32 masked CRC32C of payload (storage/crc32c.h MaskCrc)
//   payload                      a serialized pb::NodeMessage (or a hello)
//
// The decoder is incremental: feed it whatever recv() returned, then pull
// whole frames. A zero or oversized length, or a checksum mismatch, is a
// protocol error: the connection must be closed (the stream cannot be
// resynchronised), never a crash.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/env/network.h"

namespace kv::backend {

// Bytes of the frame header (length + checksum).
inline constexpr size_t kFrameHeaderBytes = 8;
// The largest payload a frame may carry: the env's message limit.
inline constexpr int64_t kMaxFrameBytes = env::kMaxMessageBytes;

// Appends the frame of `payload` to `out`. Precondition: 1 <= size <= kMaxFrameBytes.
void AppendFrame(absl::string_view payload, std::string& out);

// Incremental frame decoder for one connection's byte stream.
class FrameDecoder {
 public:
  // Appends received bytes.
  void Append(absl::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }

  // Returns the next whole payload, nullopt when more bytes are needed, or
  // kInvalidArgument (zero length, length above the limit, checksum
  // mismatch). After an error the decoder must be discarded.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Next();

  // Bytes buffered but not yet returned.
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }
  // Size (header included) of the frame being received, once its header is
  // buffered; 0 before. Valid after Next() returned nullopt.
  size_t next_frame_bytes() const;

 private:
  std::string buffer_;
  size_t consumed_ = 0;  // Invariant: consumed_ <= buffer_.size().
};

}  // namespace kv::backend
