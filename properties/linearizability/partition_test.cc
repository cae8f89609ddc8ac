#include "properties/linearizability/partition.h"

#include <vector>

#include "gtest/gtest.h"

namespace kv::properties {
namespace {

TEST(PartitionTest, SplitsByKeyInKeyOrderWithOpsInCallOrder) {
  const std::vector<Operation> history = {
      MakePut(1, "b", "x", 50, 60), MakeGet(2, "a", std::nullopt, 0, 5),
      MakePut(3, "b", "y", 10, 20), MakeDelete(4, "b", 10, 30)};
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  ASSERT_EQ(partitions.size(), 2u);
  EXPECT_EQ(partitions[0].key, "a");
  EXPECT_EQ(partitions[1].key, "b");
  ASSERT_EQ(partitions[1].ops.size(), 3u);
  // Call order; the tie at 10 keeps history order.
  EXPECT_EQ(partitions[1].ops[0].history_index, 2u);
  EXPECT_EQ(partitions[1].ops[1].history_index, 3u);
  EXPECT_EQ(partitions[1].ops[2].history_index, 0u);
}

// Far out of call order (the sort's fallback) and nearly in it (its fast
// path), with ties: call order, ties in history order, either way.
TEST(PartitionTest, OrdersOpsByCallTimeHoweverFarOutOfOrder) {
  for (const bool reversed : {true, false}) {
    std::vector<Operation> history;
    for (int i = 0; i < 200; ++i) {
      const int64_t call_ns = reversed ? (200 - i) / 2 : i / 2 + (i % 3 == 0 ? 3 : 0);
      history.push_back(MakePut(i, "k", "v", call_ns, 1000));
    }
    const std::vector<KeyPartition> partitions = PartitionByKey(history);
    ASSERT_EQ(partitions.size(), 1u);
    const std::vector<PartitionOp>& ops = partitions[0].ops;
    ASSERT_EQ(ops.size(), history.size());
    for (size_t i = 1; i < ops.size(); ++i) {
      const bool in_order = ops[i - 1].call_ns < ops[i].call_ns ||
                            (ops[i - 1].call_ns == ops[i].call_ns &&
                             ops[i - 1].history_index < ops[i].history_index);
      EXPECT_TRUE(in_order) << (reversed ? "reversed" : "nearly sorted") << " at " << i;
    }
  }
}

TEST(PartitionTest, InternsValuesPerKeyInOrderOfFirstUse) {
  const std::vector<Operation> history = {
      MakePut(1, "k", "x", 0, 1), MakeGet(2, "k", "y", 2, 3),
      MakeCas(3, "k", "x", "y", true, 4, 5), MakeGet(4, "k", std::nullopt, 6, 7)};
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  ASSERT_EQ(partitions.size(), 1u);
  const KeyPartition& partition = partitions[0];
  EXPECT_EQ(partition.values, (std::vector<absl::string_view>{"", "x", "y"}));
  EXPECT_EQ(partition.ops[0].op.value, 1);
  EXPECT_EQ(partition.ops[1].op.read_value, 2);
  EXPECT_EQ(partition.ops[2].op.expected, 1);
  EXPECT_EQ(partition.ops[2].op.value, 2);
  EXPECT_TRUE(partition.ops[2].op.cas_succeeded);
  EXPECT_EQ(partition.ops[3].op.read_value, kAbsent);
  EXPECT_EQ(StateValue(partition, kAbsent), std::nullopt);
  EXPECT_EQ(StateValue(partition, 2), "y");
}

// Values asked for again soon after (the interner compares the last two it
// looked up instead of looking them up again), an empty value first, and a
// value of the same length as the one before: ids as the table alone hands
// them out.
TEST(PartitionTest, InternsRepeatedEmptyAndSameLengthValuesAsNew) {
  const std::vector<Operation> history = {
      MakePut(1, "k", "", 0, 1),     MakeGet(2, "k", "", 2, 3),
      MakePut(1, "k", "ab", 4, 5),   MakeGet(2, "k", "ab", 6, 7),
      MakeGet(3, "k", "cd", 8, 9),   MakeGet(4, "k", "ab", 10, 11),
      MakeCas(1, "k", "cd", "", false, 12, 13)};
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  ASSERT_EQ(partitions.size(), 1u);
  const KeyPartition& partition = partitions[0];
  EXPECT_EQ(partition.values, (std::vector<absl::string_view>{"", "", "ab", "cd"}));
  EXPECT_EQ(partition.ops[0].op.value, 1);
  EXPECT_EQ(partition.ops[1].op.read_value, 1);
  EXPECT_EQ(partition.ops[2].op.value, 2);
  EXPECT_EQ(partition.ops[3].op.read_value, 2);
  EXPECT_EQ(partition.ops[4].op.read_value, 3);
  EXPECT_EQ(partition.ops[5].op.read_value, 2);
  EXPECT_EQ(partition.ops[6].op.value, 1);
  EXPECT_EQ(partition.ops[6].op.expected, 3);
}

TEST(PartitionTest, TimedOutOpsReturnAtInfinityAndTimedOutGetsAreDropped) {
  const std::vector<Operation> history = {TimedOut(MakePut(1, "k", "x", 5, 0)),
                                          TimedOut(MakeGet(2, "k", std::nullopt, 6, 0)),
                                          TimedOut(MakeGet(3, "only-timed-out-gets", "z", 7, 0))};
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  ASSERT_EQ(partitions.size(), 1u);
  ASSERT_EQ(partitions[0].ops.size(), 1u);
  EXPECT_FALSE(partitions[0].ops[0].op.completed);
  EXPECT_EQ(partitions[0].ops[0].call_ns, 5);
  EXPECT_EQ(partitions[0].ops[0].return_ns, kNeverReturnedNs);
}

}  // namespace
}  // namespace kv::properties
