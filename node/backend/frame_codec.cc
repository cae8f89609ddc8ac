#include "node/backend/frame_codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "storage/crc32c.h"

namespace kv::backend {
namespace {

void PutU32(uint32_t value, std::string& out) {
  char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  out.append(bytes, 4);
}

uint32_t GetU32(const char* p) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return value;
}

}  // namespace

void AppendFrame(absl::string_view payload, std::string& out) {
  KV_CHECK_GE(payload.size(), 1u);
  KV_CHECK_LE(static_cast<int64_t>(payload.size()), kMaxFrameBytes);
  PutU32(static_cast<uint32_t>(payload.size()), out);
  PutU32(storage::MaskCrc(storage::Crc32c(payload)), out);
  out.append(payload.data(), payload.size());
}

size_t FrameDecoder::next_frame_bytes() const {
  if (buffered_bytes() < kFrameHeaderBytes) return 0;
  return kFrameHeaderBytes + GetU32(buffer_.data() + consumed_);
}

absl::StatusOr<std::optional<std::string>> FrameDecoder::Next() {
  const size_t available = buffer_.size() - consumed_;
  if (available < kFrameHeaderBytes) {
    // Compact so the buffer does not grow with the connection's lifetime.
    if (consumed_ > 0) {
      buffer_.erase(0, consumed_);
      consumed_ = 0;
    }
    return std::optional<std::string>();
  }
  const char* header = buffer_.data() + consumed_;
  const uint32_t length = GetU32(header);
  if (length == 0 || static_cast<int64_t>(length) > kMaxFrameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame length ", length, " outside [1, ", kMaxFrameBytes, "]"));
  }
  if (available < kFrameHeaderBytes + length) {
    if (consumed_ > 0) {
      buffer_.erase(0, consumed_);
      consumed_ = 0;
    }
    return std::optional<std::string>();
  }
  const uint32_t expected = storage::UnmaskCrc(GetU32(header + 4));
  absl::string_view payload(header + kFrameHeaderBytes, length);
  const uint32_t actual = storage::Crc32c(payload);
  if (actual != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame checksum mismatch: header says ", expected, ", payload has ", actual,
                     " (length ", length, ")"));
  }
  std::string out(payload);
  consumed_ += kFrameHeaderBytes + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace kv::backend
