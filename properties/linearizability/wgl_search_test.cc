#include "properties/linearizability/wgl_search.h"

#include <vector>

#include "gtest/gtest.h"
#include "properties/linearizability/partition.h"

namespace kv::properties {
namespace {

// The partition's values view `history`'s strings: StateValue() needs the
// history alive.
KeyPartition OnlyPartition(const std::vector<Operation>& history) {
  std::vector<KeyPartition> partitions = PartitionByKey(history);
  EXPECT_EQ(partitions.size(), 1u);
  return partitions.empty() ? KeyPartition() : std::move(partitions.front());
}

TEST(WglSearchTest, TriesCandidatesInEventOrder) {
  // All concurrent: PUT a, GET a, PUT b, GET b and PUT b, GET b, PUT a,
  // GET a both fit. Candidates are tried in event order (then op index), so
  // the search deterministically takes the write of b first.
  const std::vector<Operation> history = {MakeGet(1, "x", "b", 0, 100), MakePut(2, "x", "b", 0, 100),
                                          MakeGet(3, "x", "a", 0, 100), MakePut(4, "x", "a", 0, 100)};
  const KeyPartition partition = OnlyPartition(history);
  const SearchOutcome outcome = SearchLinearization(partition.ops, 1000);
  EXPECT_EQ(outcome.verdict, Verdict::kOk);
  EXPECT_EQ(outcome.linearization, (std::vector<int32_t>{1, 0, 3, 2}));
  EXPECT_EQ(StateValue(partition, outcome.state), "a");
  EXPECT_TRUE(outcome.stuck_ops.empty());
  EXPECT_EQ(outcome.overdue_op, -1);
}

TEST(WglSearchTest, RespectsRealTimeOrderOfNonOverlappingOperations) {
  // Sequential in real time: the only legal order is the history order.
  const KeyPartition partition =
      OnlyPartition({MakePut(1, "x", "a", 0, 10), MakeGet(2, "x", "a", 20, 30),
                     MakeDelete(1, "x", 40, 50), MakeGet(2, "x", std::nullopt, 60, 70)});
  const SearchOutcome outcome = SearchLinearization(partition.ops, 1000);
  EXPECT_EQ(outcome.verdict, Verdict::kOk);
  EXPECT_EQ(outcome.linearization, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(outcome.steps, 4);  // One step per op: no backtracking.
}

TEST(WglSearchTest, ReportsTheDeepestDeadEnd) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 0, 10), MakeGet(2, "x", std::nullopt, 20, 30)};
  const KeyPartition partition = OnlyPartition(history);
  const SearchOutcome outcome = SearchLinearization(partition.ops, 1000);
  EXPECT_EQ(outcome.verdict, Verdict::kViolation);
  EXPECT_EQ(outcome.linearization, (std::vector<int32_t>{0}));
  EXPECT_EQ(StateValue(partition, outcome.state), "a");
  EXPECT_EQ(outcome.stuck_ops, (std::vector<int32_t>{1}));
  EXPECT_EQ(outcome.overdue_op, 1);
}

TEST(WglSearchTest, StopsTimedOutOperationsFromBeingEnumerated) {
  // Twenty timed-out writes after the last completed op: once that op is
  // linearized the search is done, whatever the writes did.
  std::vector<Operation> history = {MakePut(1, "x", "a", 0, 10), MakeGet(1, "x", "a", 20, 30)};
  for (int client = 2; client < 22; ++client) {
    history.push_back(TimedOut(MakePut(client, "x", std::to_string(client), 40, 0)));
  }
  const KeyPartition partition = OnlyPartition(history);
  const SearchOutcome outcome = SearchLinearization(partition.ops, 1000);
  EXPECT_EQ(outcome.verdict, Verdict::kOk);
  EXPECT_EQ(outcome.linearization, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(outcome.steps, 2);
}

TEST(WglSearchTest, TakesExactlyTheBudgetThenReportsUnknown) {
  std::vector<Operation> history;
  for (int client = 0; client < 8; ++client) {
    history.push_back(MakePut(client, "x", std::to_string(client), 0, 100));
  }
  history.push_back(MakeGet(9, "x", "nobody wrote this", 200, 210));
  const KeyPartition partition = OnlyPartition(history);
  const SearchOutcome full = SearchLinearization(partition.ops, 1'000'000);
  EXPECT_EQ(full.verdict, Verdict::kViolation);
  ASSERT_GT(full.steps, 10);
  for (const int64_t budget : {int64_t{0}, int64_t{1}, full.steps - 1}) {
    const SearchOutcome cut = SearchLinearization(partition.ops, budget);
    EXPECT_EQ(cut.verdict, Verdict::kUnknown) << budget;
    EXPECT_EQ(cut.steps, budget);
  }
  EXPECT_EQ(SearchLinearization(partition.ops, full.steps).verdict, Verdict::kViolation);
}

TEST(WglSearchTest, CachePrunesEquivalentOrders) {
  // n concurrent writes of the same value then a read of another value: a
  // search without the cache would try all n! orders; with it, the state
  // after any subset is the same, so each subset is explored once (2^n).
  constexpr int kWrites = 12;
  std::vector<Operation> history;
  for (int client = 0; client < kWrites; ++client) {
    history.push_back(MakePut(client, "x", "same", 0, 100));
  }
  history.push_back(MakeGet(99, "x", "other", 200, 210));
  const KeyPartition partition = OnlyPartition(history);
  const SearchOutcome outcome = SearchLinearization(partition.ops, 100'000'000);
  EXPECT_EQ(outcome.verdict, Verdict::kViolation);
  // 2^12 subsets, each visiting at most 2 * 13 entries.
  EXPECT_LT(outcome.steps, (1 << kWrites) * 2 * (kWrites + 1));
}

}  // namespace
}  // namespace kv::properties
