// Property tests: the checker against histories whose linearizability is
// known by construction (history_generator.h).

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "properties/linearizability/explanation.h"
#include "properties/linearizability/history_generator.h"
#include "properties/linearizability/impossible_observation.h"
#include "properties/linearizability/linearizability_checker.h"
#include "properties/linearizability/partition.h"
#include "properties/linearizability/wgl_search.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::properties {
namespace {

constexpr CheckOptions kGenerous{.max_search_steps = 20'000'000,
                                 .max_explanation_steps = 1'000'000};

// A small history shape; rapidcheck shrinks the counts towards 1.
rc::Gen<HistoryShape> GenShape() {
  return rc::gen::apply(
      [](int32_t operation_count, int32_t key_count, int32_t client_count,
         int64_t max_latency_ns, int32_t value_count, bool timeouts) {
        HistoryShape shape;
        shape.operation_count = operation_count;
        shape.key_count = key_count;
        shape.client_count = client_count;
        shape.max_latency_ns = max_latency_ns;
        shape.value_count = value_count;
        shape.timeout_ppm = timeouts ? 100'000 : 0;
        return shape;
      },
      rc::gen::inRange<int32_t>(1, 150), rc::gen::inRange<int32_t>(1, 4),
      rc::gen::inRange<int32_t>(1, 9), rc::gen::inRange<int64_t>(0, 200),
      rc::gen::inRange<int32_t>(0, 4), rc::gen::arbitrary<bool>());
}

// Replays `order` from an absent register; true if every step is legal.
bool ReplayIsLegal(const KeyPartition& partition, const std::vector<int32_t>& order) {
  RegisterState state = kAbsent;
  for (const int32_t op_index : order) {
    const std::optional<RegisterState> next = StepRegister(state, partition.ops[op_index].op);
    if (!next.has_value()) return false;
    state = *next;
  }
  return true;
}

RC_GTEST_PROP(LinearizabilityPropertyTest, AcceptsHistoriesOfASequentialRegister, ()) {
  const HistoryShape shape = *GenShape();
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const std::vector<Operation> history = GenerateLinearizableHistory(seed, shape);
  const absl::StatusOr<CheckResult> result = CheckLinearizability(history, kGenerous);
  RC_ASSERT(result.ok());
  RC_LOG() << FormatCheckResult(*result);
  RC_ASSERT(result->verdict == Verdict::kOk);
}

RC_GTEST_PROP(LinearizabilityPropertyTest, FoundLinearizationIsAWitness, ()) {
  // The order the search returns must itself be legal: it contains every
  // completed op, respects real time, and replays through the model.
  const HistoryShape shape = *GenShape();
  const std::vector<Operation> history =
      GenerateLinearizableHistory(*rc::gen::arbitrary<uint64_t>(), shape);
  for (const KeyPartition& partition : PartitionByKey(history)) {
    const SearchOutcome outcome = SearchLinearization(partition.ops, 20'000'000);
    RC_ASSERT(outcome.verdict == Verdict::kOk);
    RC_ASSERT(ReplayIsLegal(partition, outcome.linearization));
    std::vector<bool> placed(partition.ops.size(), false);
    for (const int32_t op_index : outcome.linearization) placed[op_index] = true;
    for (size_t op_index = 0; op_index < partition.ops.size(); ++op_index) {
      if (partition.ops[op_index].op.completed) RC_ASSERT(placed[op_index]);
    }
    // Real time: no op may come after one that was called after it returned.
    for (size_t later = 0; later < outcome.linearization.size(); ++later) {
      for (size_t earlier = 0; earlier < later; ++earlier) {
        const PartitionOp& first = partition.ops[outcome.linearization[earlier]];
        const PartitionOp& second = partition.ops[outcome.linearization[later]];
        RC_ASSERT(!(second.return_ns < first.call_ns));
      }
    }
  }
}

// The keys numbered by the caller (any numbers, one per key) give the very
// result the hashed keys do, on linearizable histories and on ones with a
// read swapped for another value (violations, and their explanations).
RC_GTEST_PROP(LinearizabilityPropertyTest, CallerKeyNumbersGiveTheSameResult, ()) {
  const HistoryShape shape = *GenShape();
  std::vector<Operation> history = GenerateLinearizableHistory(*rc::gen::arbitrary<uint64_t>(), shape);
  if (*rc::gen::arbitrary<bool>()) {
    for (Operation& operation : history) {
      if (operation.kind == OpKind::kGet && operation.completed && *rc::gen::inRange(0, 8) == 0) {
        operation.read_value = *rc::gen::element<std::string>("v0", "v1", "v2", "never written");
      }
    }
  }
  // Numbered in a scrambled order of first appearance.
  std::map<std::string, uint32_t> numbers;
  std::vector<uint32_t> key_ids;
  for (const Operation& operation : history) {
    const auto [it, inserted] = numbers.try_emplace(operation.key, static_cast<uint32_t>(numbers.size() * 7 + 3));
    key_ids.push_back(it->second);
  }
  const absl::StatusOr<CheckResult> hashed = CheckLinearizability(history, kGenerous);
  const absl::StatusOr<CheckResult> numbered = CheckLinearizability(history, key_ids, kGenerous);
  RC_ASSERT(hashed.ok());
  RC_ASSERT(numbered.ok());
  RC_ASSERT(FormatCheckResult(*numbered) == FormatCheckResult(*hashed));
  RC_ASSERT(numbered->search_steps == hashed->search_steps);
  RC_ASSERT(numbered->explanation_steps == hashed->explanation_steps);
}

RC_GTEST_PROP(LinearizabilityPropertyTest, RejectsAReadOfAValueNeverWritten, ()) {
  const HistoryShape shape = *GenShape();
  std::vector<Operation> history =
      GenerateLinearizableHistory(*rc::gen::arbitrary<uint64_t>(), shape);
  std::vector<size_t> reads;
  for (size_t index = 0; index < history.size(); ++index) {
    if (history[index].kind == OpKind::kGet && history[index].completed) reads.push_back(index);
  }
  RC_PRE(!reads.empty());
  const size_t mutated = reads[*rc::gen::inRange<size_t>(0, reads.size())];
  // Generated values are "v<n>", so this one was never written.
  history[mutated].read_value = "never written";
  const absl::StatusOr<CheckResult> result = CheckLinearizability(history, kGenerous);
  RC_ASSERT(result.ok());
  RC_LOG() << FormatCheckResult(*result);
  RC_ASSERT(result->verdict == Verdict::kViolation);
  RC_ASSERT(result->key == history[mutated].key);
  // Decided by the pre-check, which names the read, not by exhausting the
  // search (which on a long key may run out of budget first).
  RC_ASSERT(result->impossible.has_value());
  RC_ASSERT(result->impossible->observer.history_index == mutated);
  RC_ASSERT(result->impossible->reason == ImpossibleReason::kNeverWritten);
  bool read_conflicts = false;
  for (const ReportedOperation& reported : result->conflicting) {
    read_conflicts |= reported.history_index == mutated;
  }
  RC_ASSERT(read_conflicts);
  CheckOptions no_search = kGenerous;
  no_search.max_search_steps = 0;
  const absl::StatusOr<CheckResult> unsearched = CheckLinearizability(history, no_search);
  RC_ASSERT(unsearched.ok());
  RC_ASSERT(unsearched->verdict == Verdict::kViolation);
  // The reported prefix is itself legal, and none of its operations is the
  // impossible read.
  for (const ReportedOperation& reported : result->longest_prefix) {
    RC_ASSERT(reported.history_index != mutated);
    RC_ASSERT(reported.operation.key == history[mutated].key);
  }
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  for (const KeyPartition& partition : partitions) {
    if (partition.key != result->key) continue;
    std::vector<int32_t> order;
    for (const ReportedOperation& reported : result->longest_prefix) {
      for (size_t op_index = 0; op_index < partition.ops.size(); ++op_index) {
        if (partition.ops[op_index].history_index == reported.history_index) {
          order.push_back(static_cast<int32_t>(op_index));
        }
      }
    }
    RC_ASSERT(order.size() == result->longest_prefix.size());
    RC_ASSERT(ReplayIsLegal(partition, order));
  }
}

RC_GTEST_PROP(LinearizabilityPropertyTest, ExplanationIsAOneMinimalConflict, ()) {
  // A generated history with one op's output falsified, which may or may not
  // break linearizability; when it does, the explanation must be a conflict
  // that freeing any single member resolves.
  HistoryShape shape = *GenShape();
  shape.key_count = 1;
  shape.value_count = *rc::gen::inRange<int32_t>(1, 4);
  std::vector<Operation> history =
      GenerateLinearizableHistory(*rc::gen::arbitrary<uint64_t>(), shape);
  Operation& victim = history[*rc::gen::inRange<size_t>(0, history.size())];
  RC_PRE(victim.completed && (victim.kind == OpKind::kGet || victim.kind == OpKind::kCas));
  if (victim.kind == OpKind::kGet) {
    victim.read_value = *rc::gen::element<std::optional<std::string>>(std::nullopt, "v0", "v1");
  } else {
    victim.cas_succeeded = !victim.cas_succeeded;
  }
  const std::vector<KeyPartition> partitions = PartitionByKey(history);
  RC_ASSERT(partitions.size() == 1u);
  const KeyPartition& partition = partitions[0];
  const SearchOutcome failure = SearchLinearization(partition.ops, 20'000'000);
  RC_PRE(failure.verdict == Verdict::kViolation);
  const ViolationExplanation explanation =
      ExplainViolation(partition, failure.overdue_op, 2'000'000);
  RC_CLASSIFY(explanation.minimal);
  // The relaxed history is a violation and its completed ops are exactly the
  // essential ones; if the shrink finished, relaxing any one of them
  // resolves the conflict.
  const std::vector<PartitionOp>& relaxed = explanation.relaxed_history;
  // A violation by the pre-check, as the shrink decided it, or by the search:
  // the pre-check accepts relaxed histories with many pending writes, which
  // the search alone cannot exhaust within its budget.
  RC_ASSERT(FindImpossibleObservation(relaxed, partition.values.size(), explanation.initial_state)
                .has_value() ||
            SearchLinearization(relaxed, 20'000'000, explanation.initial_state).verdict ==
                Verdict::kViolation);
  std::vector<size_t> completed;
  for (size_t position = 0; position < relaxed.size(); ++position) {
    if (relaxed[position].op.completed) completed.push_back(position);
  }
  RC_ASSERT(completed.size() == explanation.essential_ops.size());
  for (size_t index = 0; index < completed.size(); ++index) {
    RC_ASSERT(relaxed[completed[index]].history_index ==
              partition.ops[explanation.essential_ops[index]].history_index);
    if (!explanation.minimal) continue;  // A trial ran out of steps.
    std::vector<PartitionOp> freed = relaxed;
    freed.erase(freed.begin() + static_cast<ptrdiff_t>(completed[index]));
    if (const std::optional<PartitionOp> op = RelaxedOp(relaxed[completed[index]])) {
      freed.insert(freed.begin() + static_cast<ptrdiff_t>(completed[index]), *op);
    }
    RC_ASSERT(SearchLinearization(freed, 20'000'000, explanation.initial_state).verdict ==
              Verdict::kOk);
  }
}

TEST(LinearizabilityPropertyTest, CheckIsDeterministic) {
  HistoryShape shape;
  shape.operation_count = 400;
  shape.key_count = 3;
  shape.value_count = 3;
  shape.timeout_ppm = 50'000;
  std::vector<Operation> history = GenerateLinearizableHistory(42, shape);
  history[200].kind = OpKind::kGet;
  history[200].value.clear();
  history[200].expected.reset();
  history[200].cas_succeeded = false;
  history[200].completed = true;
  history[200].return_ns = history[200].call_ns + 10;
  history[200].read_value = "never written";
  const absl::StatusOr<CheckResult> first = CheckLinearizability(history, kGenerous);
  const absl::StatusOr<CheckResult> second = CheckLinearizability(history, kGenerous);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->verdict, Verdict::kViolation);
  EXPECT_EQ(first->search_steps, second->search_steps);
  EXPECT_EQ(FormatCheckResult(*first), FormatCheckResult(*second));
}

}  // namespace
}  // namespace kv::properties
