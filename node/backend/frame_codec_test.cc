#include "node/backend/frame_codec.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::backend {
namespace {

std::vector<std::string> DecodeAll(FrameDecoder& decoder, absl::Status* error = nullptr) {
  std::vector<std::string> out;
  while (true) {
    auto frame = decoder.Next();
    if (!frame.ok()) {
      if (error != nullptr) *error = frame.status();
      return out;
    }
    if (!frame->has_value()) return out;
    out.push_back(**frame);
  }
}

TEST(FrameCodecTest, RoundTripsFramesSplitAtEveryByte) {
  std::string stream;
  AppendFrame("hello", stream);
  AppendFrame(std::string(1000, 'x'), stream);
  for (size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder decoder;
    decoder.Append(absl::string_view(stream).substr(0, split));
    std::vector<std::string> got = DecodeAll(decoder);
    decoder.Append(absl::string_view(stream).substr(split));
    std::vector<std::string> rest = DecodeAll(decoder);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got.size(), 2u) << "split " << split;
    EXPECT_EQ(got[0], "hello");
    EXPECT_EQ(got[1], std::string(1000, 'x'));
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
}

TEST(FrameCodecTest, RejectsBadChecksum) {
  std::string stream;
  AppendFrame("payload", stream);
  stream[kFrameHeaderBytes + 2] ^= 1;
  FrameDecoder decoder;
  decoder.Append(stream);
  absl::Status error;
  EXPECT_TRUE(DecodeAll(decoder, &error).empty());
  EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(error.message().find("checksum"), absl::string_view::npos);
}

TEST(FrameCodecTest, RejectsZeroAndOversizedLengthWithoutWaitingForTheBody) {
  for (uint32_t length : {0u, static_cast<uint32_t>(kMaxFrameBytes + 1), 0xffffffffu}) {
    std::string header(8, '\0');
    for (int i = 0; i < 4; ++i) header[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    FrameDecoder decoder;
    decoder.Append(header);
    absl::Status error;
    DecodeAll(decoder, &error);
    EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument) << length;
  }
}

TEST(FrameCodecTest, TruncatedFrameWaitsForMore) {
  std::string stream;
  AppendFrame("abcdef", stream);
  FrameDecoder decoder;
  decoder.Append(absl::string_view(stream).substr(0, stream.size() - 1));
  absl::Status error;
  EXPECT_TRUE(DecodeAll(decoder, &error).empty());
  EXPECT_TRUE(error.ok());
}

RC_GTEST_PROP(FrameCodecProperty, RandomBytesNeverCrashAndNeverYieldUncheckedFrames,
              (const std::string& noise)) {
  FrameDecoder decoder;
  decoder.Append(noise);
  absl::Status error;
  // Whatever comes out passed its checksum; mostly an error or nothing.
  DecodeAll(decoder, &error);
  RC_SUCCEED();
}

RC_GTEST_PROP(FrameCodecProperty, RoundTrip, (const std::vector<std::string>& payloads)) {
  std::string stream;
  std::vector<std::string> expected;
  for (const std::string& p : payloads) {
    if (p.empty()) continue;
    AppendFrame(p, stream);
    expected.push_back(p);
  }
  FrameDecoder decoder;
  decoder.Append(stream);
  absl::Status error;
  RC_ASSERT(DecodeAll(decoder, &error) == expected);
  RC_ASSERT(error.ok());
}

}  // namespace
}  // namespace kv::backend
