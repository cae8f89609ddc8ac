#include "raft/config.h"

#include <gtest/gtest.h>

namespace kv::raft {
namespace {

Config Valid() {
  Config config;
  config.id = 1;
  return config;
}

TEST(ConfigTest, DefaultsWithAnIdAreValid) { EXPECT_TRUE(Valid().Validate().ok()); }

TEST(ConfigTest, RejectsZeroId) {
  Config config = Valid();
  config.id = 0;
  EXPECT_EQ(config.Validate().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, ElectionTimeoutMustExceedHeartbeat) {
  Config config = Valid();
  config.election_timeout_ticks = 3;
  config.heartbeat_timeout_ticks = 3;
  EXPECT_EQ(config.Validate().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, InflightBytesBelowMessageSizeIsRejected) {
  Config config = Valid();
  config.max_size_per_msg_bytes = 1000;
  config.max_inflight_bytes = 999;
  EXPECT_EQ(config.Validate().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, LeaseReadsRequireCheckQuorum) {
  Config config = Valid();
  config.read_only_option = ReadOnlyOption::kLeaseBased;
  config.max_clock_drift_ticks = 2;
  config.check_quorum = false;
  absl::Status status = config.Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("check_quorum"), std::string::npos);
}

TEST(ConfigTest, LeaseReadsRequireADriftBoundBelowTheElectionTimeout) {
  Config config = Valid();
  config.read_only_option = ReadOnlyOption::kLeaseBased;
  config.max_clock_drift_ticks = 0;
  EXPECT_FALSE(config.Validate().ok());
  config.max_clock_drift_ticks = config.election_timeout_ticks;
  EXPECT_FALSE(config.Validate().ok());
  config.max_clock_drift_ticks = 2;
  EXPECT_TRUE(config.Validate().ok());
}

TEST(ConfigTest, BugNamesRoundTrip) {
  for (RaftBugs bug : kAllRaftBugs) {
    absl::StatusOr<RaftBugs> parsed = ParseRaftBug(RaftBugName(bug));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, bug);
  }
  EXPECT_EQ(ParseRaftBug("no-such-bug").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, BugsAreOffByDefault) { EXPECT_EQ(Config().bugs, kNone); }

}  // namespace
}  // namespace kv::raft
