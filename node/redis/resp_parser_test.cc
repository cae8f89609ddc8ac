#include "node/redis/resp_parser.h"

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::redis {
namespace {

std::string Encode(const std::vector<std::string>& args) {
  std::string out = RespArrayHeader(static_cast<int64_t>(args.size()));
  for (const std::string& a : args) out += RespBulk(a);
  return out;
}

TEST(RespParserTest, ParsesArrayOfBulkStringsIncrementally) {
  const std::string wire = Encode({"SET", "key", "va\r\nlue"}) + Encode({"GET", "key"});
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    size_t consumed = 0;
    auto r = ParseRespRequest(absl::string_view(wire).substr(0, cut), RespLimits(), consumed);
    ASSERT_TRUE(r.ok()) << cut;
    if (r->has_value()) {
      EXPECT_EQ(**r, (std::vector<std::string>{"SET", "key", "va\r\nlue"}));
      EXPECT_EQ(consumed, Encode({"SET", "key", "va\r\nlue"}).size());
    }
  }
}

TEST(RespParserTest, ParsesInlineCommands) {
  size_t consumed = 0;
  auto r = ParseRespRequest("PING  hello\r\n", RespLimits(), consumed);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(**r, (std::vector<std::string>{"PING", "hello"}));
  EXPECT_EQ(consumed, 13u);
}

// An unknown command named "\r\n+OK" was echoed as is, and a client read
// the error as two replies, the second a forged +OK.
TEST(RespParserTest, ErrorRepliesStayOneLine) {
  EXPECT_EQ(RespError("ERR unknown command '\r\n+OK'"), "-ERR unknown command '  +OK'\r\n");
  EXPECT_EQ(RespError("a\nb\rc"), "-a b c\r\n");
  EXPECT_EQ(RespError(""), "-\r\n");
}

// An inline line above max_inline_bytes was refused only while its end had
// not arrived; buffered whole, it was accepted.
TEST(RespParserTest, InlineLineAboveTheLimitIsRefusedEvenWhenWhole) {
  RespLimits limits;
  limits.max_inline_bytes = 100;
  size_t consumed = 0;
  auto whole = ParseRespRequest("PING " + std::string(200, 'a') + "\r\n", limits, consumed);
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.status().message(), "too big inline request");
  auto fits = ParseRespRequest("PING " + std::string(90, 'a') + "\r\n", limits, consumed);
  ASSERT_TRUE(fits.ok() && fits->has_value());
}

TEST(RespParserTest, RejectsMalformedAndOversized) {
  size_t consumed = 0;
  RespLimits limits;
  limits.max_bulk_bytes = 10;
  EXPECT_FALSE(ParseRespRequest("*1\r\n$100\r\n", limits, consumed).ok());
  EXPECT_FALSE(ParseRespRequest("*-5\r\n", limits, consumed).ok());
  EXPECT_FALSE(ParseRespRequest("*1\r\n:5\r\n", limits, consumed).ok());
  EXPECT_FALSE(ParseRespRequest("*1\r\n$2\r\nabXY", limits, consumed).ok());
  EXPECT_FALSE(ParseRespRequest("*99999999\r\n", limits, consumed).ok());
}

RC_GTEST_PROP(RespParserProperty, RoundTrip, (const std::vector<std::string>& args)) {
  RC_PRE(!args.empty() && args.size() < 100);
  const std::string wire = Encode(args);
  size_t consumed = 0;
  auto r = ParseRespRequest(wire, RespLimits(), consumed);
  RC_ASSERT(r.ok() && r->has_value());
  RC_ASSERT(**r == args);
  RC_ASSERT(consumed == wire.size());
}

RC_GTEST_PROP(RespParserProperty, RandomBytesNeverCrash, (const std::string& noise)) {
  size_t consumed = 0;
  auto r = ParseRespRequest(noise, RespLimits(), consumed);
  if (r.ok() && r->has_value()) RC_ASSERT(consumed <= noise.size());
}

}  // namespace
}  // namespace kv::redis
