// When a kvnode logs a shard's snapshot refusals: once per shard per
// interval, only with something new, and with the count since the last line.

#include "node/kvnode/snapshot_refusal_reporter.h"

#include "gtest/gtest.h"

namespace kv::kvnode {
namespace {

constexpr env::DurationNs kInterval = 10 * env::kSecond;
const absl::Status kFull = absl::ResourceExhaustedError("memory budget: snapshot needs 4096 bytes");

TEST(SnapshotRefusalReporterTest, NothingRefusedLogsNothing) {
  SnapshotRefusalReporter reporter(kInterval);
  EXPECT_FALSE(reporter.Observe(0, 1, 0, absl::OkStatus()).has_value());
  EXPECT_FALSE(reporter.Observe(20 * env::kSecond, 1, 0, absl::OkStatus()).has_value());
}

TEST(SnapshotRefusalReporterTest, TheFirstRefusalIsLoggedAtOnceThenAtMostOncePerInterval) {
  SnapshotRefusalReporter reporter(kInterval);
  std::optional<std::string> first = reporter.Observe(5 * env::kSecond, 3, 1, kFull);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first,
            "shard=3 refused=1 refused_total=1 reason=\"RESOURCE_EXHAUSTED: memory budget: snapshot needs 4096 "
            "bytes\"");
  // More refusals within the interval: held back, and counted in the next line.
  EXPECT_FALSE(reporter.Observe(6 * env::kSecond, 3, 40, kFull).has_value());
  EXPECT_FALSE(reporter.Observe(14 * env::kSecond, 3, 90, kFull).has_value());
  std::optional<std::string> second = reporter.Observe(15 * env::kSecond, 3, 100, kFull);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->rfind("shard=3 refused=99 refused_total=100 ", 0), 0u) << *second;
  // Nothing new: nothing logged, however long after.
  EXPECT_FALSE(reporter.Observe(60 * env::kSecond, 3, 100, kFull).has_value());
  // Something new after a quiet spell: logged at once.
  EXPECT_TRUE(reporter.Observe(61 * env::kSecond, 3, 101, kFull).has_value());
}

TEST(SnapshotRefusalReporterTest, ShardsAreRateLimitedApart) {
  SnapshotRefusalReporter reporter(kInterval);
  EXPECT_TRUE(reporter.Observe(0, 1, 1, kFull).has_value());
  EXPECT_TRUE(reporter.Observe(env::kSecond, 2, 5, kFull).has_value())
      << "shard 1's line does not hold back shard 2's";
  EXPECT_FALSE(reporter.Observe(2 * env::kSecond, 1, 2, kFull).has_value());
}

TEST(SnapshotRefusalReporterTest, ACounterThatRestartsIsReportedFromItsNewCount) {
  SnapshotRefusalReporter reporter(kInterval);
  ASSERT_TRUE(reporter.Observe(0, 4, 50, kFull).has_value());
  // The replica was rebuilt: its count restarts below what was reported.
  std::optional<std::string> line = reporter.Observe(20 * env::kSecond, 4, 3, kFull);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->rfind("shard=4 refused=3 refused_total=3 ", 0), 0u) << *line;
}

// A reason is free text: whatever it holds, the line stays one line and
// its field ends at its closing quote (backend::QuoteLogValue, as msg).
TEST(SnapshotRefusalReporterTest, TheReasonIsEscapedAsMsgIs) {
  SnapshotRefusalReporter reporter(kInterval);
  std::optional<std::string> line =
      reporter.Observe(0, 1, 1, absl::UnavailableError("the \"state\" in C:\\kv is\nahead"));
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(*line,
            "shard=1 refused=1 refused_total=1 reason=\"UNAVAILABLE: the \\\"state\\\" in C:\\\\kv is\\nahead\"");
}

}  // namespace
}  // namespace kv::kvnode
