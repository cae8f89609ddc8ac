#include "properties/linearizability/explanation.h"

#include <vector>

#include "gtest/gtest.h"
#include "properties/linearizability/wgl_search.h"

namespace kv::properties {
namespace {

// History indices of the essential ops (partition ops are in call order).
std::vector<size_t> Essential(const std::vector<Operation>& history, int64_t max_steps,
                              ViolationExplanation* explanation) {
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  EXPECT_EQ(partitions.size(), 1u);
  EXPECT_EQ(SearchLinearization(partitions[0].ops, 1'000'000).verdict, Verdict::kViolation);
  *explanation = ExplainViolation(partitions[0], max_steps);
  EXPECT_LE(explanation->steps, max_steps);
  std::vector<size_t> indices;
  for (const int32_t op_index : explanation->essential_ops) {
    indices.push_back(partitions[0].ops[op_index].history_index);
  }
  return indices;
}

TEST(ExplanationTest, StaleReadNeedsTheOverwriteAndTheRead) {
  const std::vector<Operation> history = {
      MakePut(1, "x", "a", 0, 10),     MakeGet(2, "x", "a", 5, 15),  MakePut(1, "x", "b", 20, 30),
      MakeGet(3, "x", "a", 40, 50),    MakeGet(2, "x", "b", 35, 60), MakePut(4, "x", "c", 70, 80),
      MakeDelete(4, "x", 90, 100)};
  ViolationExplanation explanation;
  // PUT b completed before the read of a began: nothing else is needed.
  EXPECT_EQ(Essential(history, 1'000'000, &explanation), (std::vector<size_t>{2, 3}));
  EXPECT_TRUE(explanation.minimal);
  EXPECT_EQ(explanation.initial_state, kUnknownValue);
}

TEST(ExplanationTest, ReadOfAValueNobodyWroteConflictsWithTheWriteBeforeIt) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 0, 10),
                                          MakeGet(2, "x", "a", 20, 30),
                                          MakeGet(3, "x", "ghost", 40, 50),
                                          MakePut(1, "x", "b", 60, 70)};
  ViolationExplanation explanation;
  EXPECT_EQ(Essential(history, 1'000'000, &explanation), (std::vector<size_t>{0, 2}));
  EXPECT_TRUE(explanation.minimal);
  EXPECT_EQ(explanation.initial_state, kUnknownValue);
}

TEST(ExplanationTest, ReadOfAValueNobodyWroteFromAnAbsentKeyIsItsOwnExplanation) {
  const std::vector<Operation> history = {MakeGet(3, "x", "ghost", 0, 10),
                                          MakePut(1, "x", "a", 20, 30),
                                          MakeGet(2, "x", "a", 40, 50)};
  ViolationExplanation explanation;
  EXPECT_EQ(Essential(history, 1'000'000, &explanation), (std::vector<size_t>{0}));
  EXPECT_TRUE(explanation.minimal);
  EXPECT_EQ(explanation.initial_state, kAbsent);
}

TEST(ExplanationTest, CasThatSucceededAgainstAnotherValueConflictsWithThatWrite) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 0, 10),
                                          MakeCas(2, "x", "z", "c", true, 20, 30)};
  ViolationExplanation explanation;
  EXPECT_EQ(Essential(history, 1'000'000, &explanation), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(explanation.minimal);
}

TEST(ExplanationTest, ReadOfDeletedValueNeedsTheDeleteAndTheRead) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 0, 10), MakeDelete(1, "x", 20, 30),
                                          MakeGet(2, "x", "a", 40, 50)};
  ViolationExplanation explanation;
  EXPECT_EQ(Essential(history, 1'000'000, &explanation), (std::vector<size_t>{1, 2}));
  EXPECT_TRUE(explanation.minimal);
}

TEST(ExplanationTest, NoBudgetKeepsEveryOperationAndSaysSo) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 0, 10),
                                          MakeGet(2, "x", std::nullopt, 20, 30)};
  ViolationExplanation explanation;
  EXPECT_EQ(Essential(history, 0, &explanation), (std::vector<size_t>{0, 1}));
  EXPECT_FALSE(explanation.minimal);
}

}  // namespace
}  // namespace kv::properties
