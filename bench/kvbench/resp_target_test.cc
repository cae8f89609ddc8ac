#include "bench/kvbench/resp_target.h"

#include "gtest/gtest.h"

namespace kv::bench {
namespace {

TEST(RespTargetTest, EncodesCommandsAsBulkArrays) {
  std::string out;
  RespTarget::AppendCommand(out, {"SET", "k1", "value"});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$5\r\nvalue\r\n");
}

TEST(RespTargetTest, ParsesRepliesAndReportsIncompleteOnes) {
  bool error = false, null = false;
  EXPECT_EQ(RespTarget::ParseReply("+OK\r\n", error, null), 5);
  EXPECT_FALSE(error);
  EXPECT_EQ(RespTarget::ParseReply("-ERR no\r\n+OK\r\n", error, null), 9);
  EXPECT_TRUE(error);
  EXPECT_EQ(RespTarget::ParseReply("$-1\r\n", error, null), 5);
  EXPECT_TRUE(null);
  EXPECT_EQ(RespTarget::ParseReply("$5\r\nhello\r\n", error, null), 11);
  EXPECT_FALSE(null);
  EXPECT_EQ(RespTarget::ParseReply("*2\r\n$1\r\na\r\n:5\r\n", error, null), 15);
  // Incomplete at every cut.
  const std::string whole = "$5\r\nhello\r\n";
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_EQ(RespTarget::ParseReply(whole.substr(0, cut), error, null), 0) << cut;
  }
  EXPECT_EQ(RespTarget::ParseReply("?what\r\n", error, null), -1);
  EXPECT_EQ(RespTarget::ParseReply("$5\r\nhelloXY", error, null), -1);
}

}  // namespace
}  // namespace kv::bench
