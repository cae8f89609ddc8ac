#include "properties/linearizability/explanation.h"

#include <string>
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
  const SearchOutcome failure = SearchLinearization(partitions[0].ops, 1'000'000);
  EXPECT_EQ(failure.verdict, Verdict::kViolation);
  *explanation = ExplainViolation(partitions[0], failure.overdue_op, max_steps);
  EXPECT_LE(explanation->steps, max_steps);
  std::vector<size_t> indices;
  for (const int32_t op_index : explanation->essential_ops) {
    indices.push_back(partitions[0].ops[op_index].history_index);
  }
  return indices;
}

TEST(ExplanationTest, StaleReadNeedsTheWriteItsOverwriteAndTheRead) {
  const std::vector<Operation> history = {
      MakePut(1, "x", "a", 0, 10),     MakeGet(2, "x", "a", 5, 15),  MakePut(1, "x", "b", 20, 30),
      MakeGet(3, "x", "a", 40, 50),    MakeGet(2, "x", "b", 35, 60), MakePut(4, "x", "c", 70, 80),
      MakeDelete(4, "x", 90, 100)};
  ViolationExplanation explanation;
  // PUT b completed before the read of a began, and PUT a completed before
  // PUT b began. The first read of a and everything after the failure are
  // not needed.
  EXPECT_EQ(Essential(history, 1'000'000, &explanation), (std::vector<size_t>{0, 2, 3}));
  EXPECT_TRUE(explanation.minimal);
  EXPECT_EQ(explanation.initial_state, kUnknownValue);
}

TEST(ExplanationTest, ReadOfAValueNobodyWroteConflictsWithTheWriteBeforeIt) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 0, 10),
                                          MakeGet(2, "x", "a", 20, 30),
                                          MakeGet(3, "x", "ghost", 40, 50),
                                          MakePut(1, "x", "b", 60, 70)};
  ViolationExplanation explanation;
  // PUT a completed, then a read returned ghost, which nobody wrote.
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

TEST(ExplanationTest, ReadOfDeletedValueNeedsTheWriteTheDeleteAndTheRead) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 0, 10), MakeDelete(1, "x", 20, 30),
                                          MakeGet(2, "x", "a", 40, 50)};
  ViolationExplanation explanation;
  EXPECT_EQ(Essential(history, 1'000'000, &explanation), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(explanation.minimal);
}

TEST(ExplanationTest, ConflictInALongKeyIsFoundInAShortWindow) {
  // 200 sequential write/read pairs, then a stale read of 198: the window cut
  // keeps the trials short. The answer: 198 was written, then overwritten by
  // 199, then read.
  std::vector<Operation> history;
  int64_t time_ns = 0;
  for (int round = 0; round < 200; ++round) {
    history.push_back(MakePut(1, "x", std::to_string(round), time_ns, time_ns + 5));
    history.push_back(MakeGet(2, "x", std::to_string(round), time_ns + 6, time_ns + 9));
    time_ns += 10;
  }
  history.push_back(MakeGet(3, "x", "198", time_ns, time_ns + 5));
  ViolationExplanation explanation;
  EXPECT_EQ(Essential(history, 1'000'000, &explanation), (std::vector<size_t>{396, 398, 400}));
  EXPECT_TRUE(explanation.minimal);
  EXPECT_EQ(explanation.initial_state, kUnknownValue);
  // A few cheap trials, not one search over the whole key (~400 steps) per op.
  EXPECT_LT(explanation.steps, 20'000);
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
