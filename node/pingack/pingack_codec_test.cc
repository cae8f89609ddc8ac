#include "node/pingack/pingack_codec.h"

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::pingack {
namespace {

Frame MakeFrame(FrameKind kind, uint64_t id, std::string payload) {
  Frame f;
  f.kind = kind;
  f.request_id = id;
  f.payload = std::move(payload);
  return f;
}

RC_GTEST_PROP(PingAckCodecProperty, RoundTripsAnyFrame,
              (bool is_ack, uint64_t id, std::string payload)) {
  RC_PRE(payload.size() <= kMaxPayloadBytes);
  const Frame frame = MakeFrame(is_ack ? FrameKind::kAck : FrameKind::kRequest, id, payload);
  absl::StatusOr<Frame> decoded = DecodeFrame(EncodeFrame(frame));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == frame);
}

RC_GTEST_PROP(PingAckCodecProperty, AnySingleByteFlipIsRejected,
              (uint64_t id, std::string payload, size_t position, uint8_t flip)) {
  RC_PRE(payload.size() <= 1024u);
  RC_PRE(flip != 0);
  std::string bytes = EncodeFrame(MakeFrame(FrameKind::kRequest, id, payload));
  bytes[position % bytes.size()] ^= static_cast<char>(flip);
  RC_ASSERT(!DecodeFrame(bytes).ok());
}

RC_GTEST_PROP(PingAckCodecProperty, ArbitraryBytesNeverCrash, (std::string bytes)) {
  // Either a clean error or a frame; never a crash or an out-of-bounds read
  // (ASan watches the latter).
  absl::StatusOr<Frame> decoded = DecodeFrame(bytes);
  if (decoded.ok()) RC_ASSERT(decoded->payload.size() <= kMaxPayloadBytes);
}

TEST(PingAckCodecTest, TruncatedFrameIsRejected) {
  const std::string bytes = EncodeFrame(MakeFrame(FrameKind::kAck, 7, "hello"));
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeFrame(bytes.substr(0, n)).status().code(), absl::StatusCode::kInvalidArgument)
        << "length " << n;
  }
}

TEST(PingAckCodecTest, OversizedLengthPrefixIsRejectedWithItsSize) {
  std::string bytes = EncodeFrame(MakeFrame(FrameKind::kRequest, 1, "x"));
  bytes[10] = bytes[11] = bytes[12] = bytes[13] = static_cast<char>(0xff);
  const absl::Status status = DecodeFrame(bytes).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("4294967295"), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace kv::pingack
