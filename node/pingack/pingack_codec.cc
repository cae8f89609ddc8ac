#include "node/pingack/pingack_codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/random.h"

namespace kv::pingack {
namespace {

constexpr uint8_t kMagic = 0xA7;
constexpr size_t kHeaderBytes = 1 + 1 + 8 + 4;
constexpr size_t kChecksumBytes = 8;

void PutLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetLittleEndian(const char* p, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return value;
}

}  // namespace

uint64_t FrameChecksum(absl::string_view bytes) {
  uint64_t h = 0x51ed270b27a8e3c1ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return env::Mix64(h, bytes.size());
}

std::string EncodeFrame(const Frame& frame) {
  KV_CHECK_LE(frame.payload.size(), kMaxPayloadBytes);
  std::string out;
  out.reserve(kHeaderBytes + frame.payload.size() + kChecksumBytes);
  out.push_back(static_cast<char>(kMagic));
  out.push_back(static_cast<char>(frame.kind));
  PutLittleEndian(out, frame.request_id, 8);
  PutLittleEndian(out, frame.payload.size(), 4);
  out.append(frame.payload);
  PutLittleEndian(out, FrameChecksum(out), 8);
  return out;
}

absl::StatusOr<Frame> DecodeFrame(absl::string_view bytes) {
  if (bytes.size() < kHeaderBytes + kChecksumBytes) {
    return absl::InvalidArgumentError(absl::StrCat("frame of ", bytes.size(), " bytes is too short"));
  }
  if (static_cast<uint8_t>(bytes[0]) != kMagic) {
    return absl::InvalidArgumentError("frame has a bad magic byte");
  }
  const uint8_t kind = static_cast<uint8_t>(bytes[1]);
  if (kind != static_cast<uint8_t>(FrameKind::kRequest) &&
      kind != static_cast<uint8_t>(FrameKind::kAck)) {
    return absl::InvalidArgumentError(absl::StrCat("frame has unknown kind ", kind));
  }
  const uint64_t payload_bytes = GetLittleEndian(bytes.data() + 10, 4);
  if (payload_bytes > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame payload of ", payload_bytes, " bytes exceeds ", kMaxPayloadBytes));
  }
  if (bytes.size() != kHeaderBytes + payload_bytes + kChecksumBytes) {
    return absl::InvalidArgumentError(absl::StrCat("frame length ", bytes.size(),
                                                   " does not match payload length ", payload_bytes));
  }
  const size_t body_bytes = kHeaderBytes + payload_bytes;
  const uint64_t expected = GetLittleEndian(bytes.data() + body_bytes, 8);
  if (FrameChecksum(bytes.substr(0, body_bytes)) != expected) {
    return absl::InvalidArgumentError("frame checksum mismatch");
  }
  Frame frame;
  frame.kind = static_cast<FrameKind>(kind);
  frame.request_id = GetLittleEndian(bytes.data() + 2, 8);
  frame.payload.assign(bytes.data() + kHeaderBytes, payload_bytes);
  return frame;
}

}  // namespace kv::pingack
