#include "properties/pingack_checker.h"

#include "gtest/gtest.h"

namespace kv::properties {
namespace {

TEST(PingAckCheckerTest, ProcessingTwiceInOneLifetimeIsAViolation) {
  PingAckChecker checker(2);
  checker.OnIssued(0, 7);
  checker.OnProcessed(1, 0, 7);
  EXPECT_TRUE(checker.ok());
  checker.OnProcessed(1, 0, 7);
  ASSERT_FALSE(checker.ok());
  EXPECT_NE(checker.violations()[0].find("exactly-once"), std::string::npos);
}

TEST(PingAckCheckerTest, ProcessingAgainAfterACrashIsAllowed) {
  PingAckChecker checker(2);
  checker.OnProcessed(1, 0, 7);
  checker.NoteCrash(1);
  checker.OnProcessed(1, 0, 7);
  EXPECT_TRUE(checker.ok());
}

TEST(PingAckCheckerTest, AckForAnUnissuedRequestIsAViolation) {
  PingAckChecker checker(2);
  checker.OnIssued(0, 1);
  checker.OnAcked(0, 1);
  EXPECT_TRUE(checker.ok());
  checker.OnAcked(0, 2);
  ASSERT_FALSE(checker.ok());
  EXPECT_NE(checker.violations()[0].find("no-phantom-ack"), std::string::npos);
}

}  // namespace
}  // namespace kv::properties
