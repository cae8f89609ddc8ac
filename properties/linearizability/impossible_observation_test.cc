#include "properties/linearizability/impossible_observation.h"

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kv::properties {
namespace {

// The pre-check on a one-key history.
std::optional<ImpossibleObservation> Find(const std::vector<Operation>& history) {
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  EXPECT_EQ(partitions.size(), 1u);
  if (partitions.size() != 1) return std::nullopt;
  return FindImpossibleObservation(partitions[0]);
}

// The partition op index of history[index] (ops are in call order).
int32_t OpOf(const std::vector<Operation>& history, size_t index) {
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  for (size_t i = 0; i < partitions[0].ops.size(); ++i) {
    if (partitions[0].ops[i].history_index == index) return static_cast<int32_t>(i);
  }
  ADD_FAILURE() << "history[" << index << "] is not in the partition";
  return -1;
}

TEST(ImpossibleObservationTest, AReadOfAValueNoOneWritesIsImpossible) {
  const std::vector<Operation> history = {MakePut(1, "k", "a", 0, 10), MakeGet(2, "k", "z", 20, 30)};
  const std::optional<ImpossibleObservation> found = Find(history);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->op, OpOf(history, 1));
  EXPECT_EQ(found->reason, ImpossibleReason::kNeverWritten);
  EXPECT_EQ(found->first_writer, -1);
}

TEST(ImpossibleObservationTest, AReadOfAValueOnlyWrittenAfterItReturnedIsImpossible) {
  const std::vector<Operation> history = {MakeGet(2, "k", "a", 0, 10), MakePut(1, "k", "a", 11, 20),
                                          MakePut(3, "k", "a", 15, 25)};
  const std::optional<ImpossibleObservation> found = Find(history);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->op, OpOf(history, 0));
  EXPECT_EQ(found->reason, ImpossibleReason::kWrittenOnlyLater);
  EXPECT_EQ(found->first_writer, OpOf(history, 1));
}

TEST(ImpossibleObservationTest, AWriteCalledBeforeTheReadReturnedMakesItPossible) {
  // Concurrent, and touching: a write called at the read's return may go first.
  EXPECT_FALSE(Find({MakeGet(2, "k", "a", 0, 10), MakePut(1, "k", "a", 5, 20)}).has_value());
  EXPECT_FALSE(Find({MakeGet(2, "k", "a", 0, 10), MakePut(1, "k", "a", 10, 20)}).has_value());
  // Possible is not linearizable: only the search decides the stale read.
  EXPECT_FALSE(Find({MakePut(1, "k", "a", 0, 10), MakePut(1, "k", "b", 20, 30),
                     MakeGet(2, "k", "a", 40, 50)})
                   .has_value());
}

TEST(ImpossibleObservationTest, ReadingAbsentIsAlwaysPossible) {
  EXPECT_FALSE(Find({MakePut(1, "k", "a", 0, 10), MakeGet(2, "k", std::nullopt, 20, 30)}).has_value());
}

TEST(ImpossibleObservationTest, OnlyWritesThatMayHaveHappenedCount) {
  // A CAS that reported failure wrote nothing.
  std::optional<ImpossibleObservation> found =
      Find({MakeCas(1, "k", "x", "a", false, 0, 10), MakeGet(2, "k", "a", 20, 30)});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->reason, ImpossibleReason::kNeverWritten);
  // A timed-out CAS or PUT may have.
  EXPECT_FALSE(Find({TimedOut(MakeCas(1, "k", std::nullopt, "a", false, 0, 0)),
                     MakeGet(2, "k", "a", 20, 30)})
                   .has_value());
  EXPECT_FALSE(Find({TimedOut(MakePut(1, "k", "a", 0, 0)), MakeGet(2, "k", "a", 20, 30)}).has_value());
}

TEST(ImpossibleObservationTest, ASucceededCasObservesItsExpectedValue) {
  std::optional<ImpossibleObservation> found = Find({MakeCas(1, "k", "z", "a", true, 0, 10)});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->reason, ImpossibleReason::kNeverWritten);
  // Its own write of the value it expected does not count...
  found = Find({MakeCas(1, "k", "a", "a", true, 0, 10)});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->reason, ImpossibleReason::kNeverWritten);
  // ...another one does, and a failed CAS observes nothing.
  EXPECT_FALSE(Find({MakePut(2, "k", "a", 0, 5), MakeCas(1, "k", "a", "a", true, 0, 10)}).has_value());
  EXPECT_FALSE(Find({MakeCas(1, "k", "z", "a", false, 0, 10)}).has_value());
}

TEST(ImpossibleObservationTest, ATimedOutCasObservesNothing) {
  EXPECT_FALSE(Find({MakePut(1, "k", "a", 0, 10), TimedOut(MakeCas(2, "k", "z", "b", true, 20, 0))})
                   .has_value());
}

TEST(ImpossibleObservationTest, TheFirstImpossibleObservationInCallOrderIsReported) {
  const std::vector<Operation> history = {MakeGet(2, "k", "y", 30, 40), MakeGet(3, "k", "x", 10, 20),
                                          MakePut(1, "k", "a", 0, 50)};
  const std::optional<ImpossibleObservation> found = Find(history);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->op, OpOf(history, 1));
}

// From an unknown start (the explanation's trials), the key may have held
// the value all along, until a write that surely took effect replaced it.
TEST(ImpossibleObservationTest, FromAnUnknownStartOnlyAfterASureWrite) {
  auto find_from_unknown = [](const std::vector<Operation>& history) {
    const std::vector<KeyPartition> partitions = PartitionByKey(history);
    return FindImpossibleObservation(partitions[0].ops, partitions[0].values.size(), kUnknownValue);
  };
  EXPECT_FALSE(find_from_unknown({MakeGet(2, "k", "z", 20, 30)}).has_value());
  EXPECT_TRUE(find_from_unknown({MakePut(1, "k", "a", 0, 10), MakeGet(2, "k", "z", 20, 30)}).has_value());
  EXPECT_TRUE(find_from_unknown({MakeDelete(1, "k", 0, 10), MakeGet(2, "k", "z", 20, 30)}).has_value());
  EXPECT_TRUE(
      find_from_unknown({MakeCas(1, "k", "a", "b", true, 0, 10), MakeGet(2, "k", "z", 20, 30)}).has_value());
  // Touching, timed out, or a failed CAS: the value may have survived.
  EXPECT_FALSE(find_from_unknown({MakePut(1, "k", "a", 0, 20), MakeGet(2, "k", "z", 20, 30)}).has_value());
  EXPECT_FALSE(
      find_from_unknown({TimedOut(MakePut(1, "k", "a", 0, 0)), MakeGet(2, "k", "z", 20, 30)}).has_value());
  EXPECT_FALSE(
      find_from_unknown({MakeCas(1, "k", "x", "a", false, 0, 10), MakeGet(2, "k", "z", 20, 30)}).has_value());
}

}  // namespace
}  // namespace kv::properties
