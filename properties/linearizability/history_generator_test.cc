#include "properties/linearizability/history_generator.h"

#include <algorithm>
#include <map>
#include <vector>

#include "gtest/gtest.h"
#include "properties/linearizability/partition.h"

namespace kv::properties {
namespace {

// The largest number of operations in flight at one instant.
int MaxInFlight(const std::vector<Operation>& history) {
  std::vector<std::pair<int64_t, int>> events;
  for (const Operation& operation : history) {
    events.push_back({operation.call_ns, +1});
    events.push_back({operation.completed ? operation.return_ns + 1 : kNeverReturnedNs, -1});
  }
  std::sort(events.begin(), events.end());
  int in_flight = 0;
  int max_in_flight = 0;
  for (const auto& [time_ns, delta] : events) {
    in_flight += delta;
    max_in_flight = std::max(max_in_flight, in_flight);
  }
  return max_in_flight;
}

TEST(HistoryGeneratorTest, SameSeedGivesTheSameHistory) {
  HistoryShape shape;
  shape.operation_count = 300;
  shape.timeout_ppm = 50'000;
  const std::vector<Operation> first = GenerateLinearizableHistory(7, shape);
  const std::vector<Operation> second = GenerateLinearizableHistory(7, shape);
  const std::vector<Operation> other = GenerateLinearizableHistory(8, shape);
  ASSERT_EQ(first.size(), 300u);
  ASSERT_EQ(second.size(), 300u);
  bool differs = false;
  for (size_t index = 0; index < first.size(); ++index) {
    EXPECT_EQ(FormatOperation(first[index]), FormatOperation(second[index]));
    differs = differs || FormatOperation(first[index]) != FormatOperation(other[index]);
  }
  EXPECT_TRUE(differs);
}

TEST(HistoryGeneratorTest, ProducesValidConcurrentHistoriesOfTheRequestedShape) {
  HistoryShape shape;
  shape.operation_count = 2000;
  shape.key_count = 5;
  shape.client_count = 10;
  shape.timeout_ppm = 20'000;
  const std::vector<Operation> history = GenerateLinearizableHistory(1, shape);
  ASSERT_TRUE(ValidateHistory(history).ok()) << ValidateHistory(history);
  std::map<std::string, int> per_key;
  std::map<OpKind, int> per_kind;
  int timed_out = 0;
  // Each client runs one operation at a time (a timed-out one until its
  // deadline, which the in-flight count treats as forever).
  std::map<int64_t, int64_t> client_free_at_ns;
  for (const Operation& operation : history) {
    ++per_key[operation.key];
    ++per_kind[operation.kind];
    timed_out += operation.completed ? 0 : 1;
    if (operation.completed) {
      EXPECT_GE(operation.call_ns, client_free_at_ns[operation.client_id]);
      client_free_at_ns[operation.client_id] = operation.return_ns + 1;
    }
    EXPECT_LT(operation.client_id, 10);
  }
  EXPECT_EQ(per_key.size(), 5u);
  EXPECT_EQ(per_kind.size(), 4u);
  EXPECT_GT(timed_out, 10);
  EXPECT_LT(timed_out, 100);
  EXPECT_GE(MaxInFlight(history), 8);
}

}  // namespace
}  // namespace kv::properties
