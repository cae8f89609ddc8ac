#include "properties/linearizability/linearizability_checker.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kv::properties {
namespace {

// Large enough that no hand-written history here runs out.
constexpr CheckOptions kGenerous{.max_search_steps = 1'000'000};

Verdict Check(const std::vector<Operation>& history) {
  const absl::StatusOr<CheckResult> result = CheckLinearizability(history, kGenerous);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return Verdict::kUnknown;
  return result->verdict;
}

TEST(LinearizabilityCheckerTest, EmptyHistoryIsLinearizable) {
  EXPECT_EQ(Check({}), Verdict::kOk);
}

TEST(LinearizabilityCheckerTest, RejectsStaleReadAfterCompletedWrite) {
  EXPECT_EQ(Check({MakePut(1, "x", "a", 0, 10), MakeGet(2, "x", std::nullopt, 20, 30)}),
            Verdict::kViolation);
  EXPECT_EQ(Check({MakePut(1, "x", "a", 0, 10), MakePut(1, "x", "b", 20, 30),
                   MakeGet(2, "x", "a", 40, 50)}),
            Verdict::kViolation);
}

TEST(LinearizabilityCheckerTest, RejectsSequentialWritesReadInTheWrongOrder) {
  // Both writes are concurrent with the first read, but once a reader has
  // seen b (the later write), no later read may go back to a.
  EXPECT_EQ(Check({MakePut(1, "x", "a", 0, 10), MakePut(1, "x", "b", 20, 30),
                   MakeGet(2, "x", "b", 5, 35), MakeGet(3, "x", "a", 40, 50)}),
            Verdict::kViolation);
  // The same reads with concurrent writes are fine: a may come after b.
  EXPECT_EQ(Check({MakePut(1, "x", "a", 0, 30), MakePut(4, "x", "b", 0, 30),
                   MakeGet(2, "x", "b", 5, 35), MakeGet(3, "x", "a", 40, 50)}),
            Verdict::kOk);
  EXPECT_EQ(Check({MakePut(1, "x", "a", 0, 30), MakePut(4, "x", "b", 0, 30),
                   MakeGet(2, "x", "b", 5, 35), MakeGet(3, "x", "b", 40, 50)}),
            Verdict::kOk);
}

TEST(LinearizabilityCheckerTest, RejectsReadersObservingWritesInOppositeOrders) {
  EXPECT_EQ(Check({MakePut(1, "x", "a", 0, 100), MakePut(2, "x", "b", 0, 100),
                   MakeGet(3, "x", "a", 10, 20), MakeGet(3, "x", "b", 30, 40),
                   MakeGet(4, "x", "b", 10, 20), MakeGet(4, "x", "a", 30, 40)}),
            Verdict::kViolation);
}

TEST(LinearizabilityCheckerTest, AcceptsConcurrentOperationsInAnyLegalOrder) {
  // The read overlaps both writes, so it may see either, or neither.
  for (const std::optional<std::string>& read :
       {std::optional<std::string>("a"), std::optional<std::string>("b"),
        std::optional<std::string>()}) {
    EXPECT_EQ(Check({MakePut(1, "x", "a", 10, 50), MakePut(2, "x", "b", 20, 60),
                     MakeGet(3, "x", read, 0, 70)}),
              Verdict::kOk);
  }
  // The final state decides a read after everything: b went last here.
  EXPECT_EQ(Check({MakePut(1, "x", "a", 10, 50), MakePut(2, "x", "b", 20, 60),
                   MakeGet(3, "x", "a", 30, 40), MakeGet(3, "x", "b", 70, 80)}),
            Verdict::kOk);
}

TEST(LinearizabilityCheckerTest, TouchingIntervalsCountAsConcurrent) {
  // Equal call and return times may be either order (a coarse clock).
  EXPECT_EQ(Check({MakePut(1, "x", "a", 0, 10), MakeGet(2, "x", std::nullopt, 10, 20)}),
            Verdict::kOk);
  EXPECT_EQ(Check({MakePut(1, "x", "a", 0, 10), MakeGet(2, "x", std::nullopt, 11, 20)}),
            Verdict::kViolation);
}

TEST(LinearizabilityCheckerTest, TimedOutWriteMayHaveAppliedOrNot) {
  const Operation put_a = MakePut(1, "x", "a", 0, 10);
  const Operation lost_b = TimedOut(MakePut(2, "x", "b", 20, 0));
  EXPECT_EQ(Check({put_a, lost_b, MakeGet(3, "x", "b", 30, 40)}), Verdict::kOk);
  EXPECT_EQ(Check({put_a, lost_b, MakeGet(3, "x", "a", 30, 40)}), Verdict::kOk);
  // It may apply late, long after the client gave up ...
  EXPECT_EQ(Check({put_a, lost_b, MakeGet(3, "x", "a", 30, 40), MakeGet(3, "x", "b", 1000, 1010)}),
            Verdict::kOk);
  // ... but only once: after b was seen, a cannot come back.
  EXPECT_EQ(Check({put_a, lost_b, MakeGet(3, "x", "b", 30, 40), MakeGet(3, "x", "a", 50, 60)}),
            Verdict::kViolation);
  // And never before it was called.
  EXPECT_EQ(Check({put_a, lost_b, MakeGet(3, "x", "b", 12, 18)}), Verdict::kViolation);
}

TEST(LinearizabilityCheckerTest, TimedOutOperationsHaveNoCheckedOutput) {
  const Operation put_a = MakePut(1, "x", "a", 0, 10);
  EXPECT_EQ(Check({put_a, TimedOut(MakeGet(2, "x", "zzz", 20, 0))}), Verdict::kOk);
  // A timed-out CAS still acts on the state when it applies: here it must
  // have, because b was read and nothing else writes b.
  EXPECT_EQ(Check({put_a, TimedOut(MakeCas(2, "x", "a", "b", false, 20, 0)),
                   MakeGet(3, "x", "b", 30, 40)}),
            Verdict::kOk);
  EXPECT_EQ(Check({put_a, TimedOut(MakeCas(2, "x", "z", "b", false, 20, 0)),
                   MakeGet(3, "x", "b", 30, 40)}),
            Verdict::kViolation);
}

TEST(LinearizabilityCheckerTest, DeleteMakesTheKeyAbsent) {
  const Operation put_a = MakePut(1, "x", "a", 0, 10);
  const Operation del = MakeDelete(1, "x", 20, 30);
  EXPECT_EQ(Check({put_a, del, MakeGet(2, "x", std::nullopt, 40, 50)}), Verdict::kOk);
  EXPECT_EQ(Check({put_a, del, MakeGet(2, "x", "a", 40, 50)}), Verdict::kViolation);
  EXPECT_EQ(Check({put_a, del, MakeGet(2, "x", "a", 25, 50)}), Verdict::kOk);
}

TEST(LinearizabilityCheckerTest, CasSemantics) {
  const Operation put_a = MakePut(1, "x", "a", 0, 10);
  // Succeeds only against the value that is there, and then writes.
  EXPECT_EQ(Check({put_a, MakeCas(2, "x", "a", "b", true, 20, 30), MakeGet(3, "x", "b", 40, 50)}),
            Verdict::kOk);
  EXPECT_EQ(Check({put_a, MakeCas(2, "x", "z", "b", true, 20, 30)}), Verdict::kViolation);
  // A successful CAS that expected absent, after a completed write.
  EXPECT_EQ(Check({put_a, MakeCas(2, "x", std::nullopt, "b", true, 20, 30)}),
            Verdict::kViolation);
  EXPECT_EQ(Check({MakeCas(2, "x", std::nullopt, "b", true, 20, 30)}), Verdict::kOk);
  // Fails only when the value differs, and then writes nothing.
  EXPECT_EQ(Check({put_a, MakeCas(2, "x", "a", "b", false, 20, 30)}), Verdict::kViolation);
  EXPECT_EQ(Check({put_a, MakeCas(2, "x", "z", "b", false, 20, 30), MakeGet(3, "x", "b", 40, 50)}),
            Verdict::kViolation);
  EXPECT_EQ(Check({put_a, MakeCas(2, "x", "z", "b", false, 20, 30), MakeGet(3, "x", "a", 40, 50)}),
            Verdict::kOk);
}

TEST(LinearizabilityCheckerTest, ReportsTheViolatingKeyPrefixAndStuckOperations) {
  const std::vector<Operation> history = {
      MakePut(1, "a-key", "1", 0, 10),          MakePut(1, "b-key", "a", 0, 10),
      MakePut(2, "b-key", "b", 20, 30),         MakeGet(3, "b-key", "a", 40, 50),
      MakeGet(4, "b-key", "b", 35, 60),         MakeGet(5, "c-key", std::nullopt, 0, 1),
  };
  const absl::StatusOr<CheckResult> result = CheckLinearizability(history, kGenerous);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->verdict, Verdict::kViolation);
  EXPECT_EQ(result->key, "b-key");
  EXPECT_EQ(result->key_count, 3);
  EXPECT_EQ(result->keys_checked, 1);  // a-key passed; c-key is after b-key.
  // Longest prefix: both writes and the read of b. The read of a cannot
  // follow: b was written before that read was called.
  std::vector<size_t> prefix;
  for (const ReportedOperation& reported : result->longest_prefix) {
    prefix.push_back(reported.history_index);
  }
  EXPECT_EQ(prefix, (std::vector<size_t>{1, 2, 4}));
  EXPECT_EQ(result->value_after_prefix, "b");
  ASSERT_EQ(result->unlinearizable.size(), 1u);
  EXPECT_EQ(result->unlinearizable[0].history_index, 3u);
  ASSERT_TRUE(result->overdue.has_value());
  EXPECT_EQ(result->overdue->history_index, 3u);
  // The conflict itself: the write of a, its overwrite that completed before
  // the read began, and the stale read. The later read of b is not needed.
  std::vector<size_t> conflicting;
  for (const ReportedOperation& reported : result->conflicting) {
    conflicting.push_back(reported.history_index);
  }
  EXPECT_EQ(conflicting, (std::vector<size_t>{1, 2, 3}));
  EXPECT_FALSE(result->conflict_needs_absent_start);
  EXPECT_TRUE(result->conflicting_is_minimal);

  const std::string report = FormatCheckResult(*result);
  EXPECT_EQ(report,
            "linearizability: violation (1 of 3 keys checked, " +
                std::to_string(result->search_steps) +
                " search steps)\n"
                "  key b-key has no linearization.\n"
                "  these operations conflict whatever the key held before and whenever (or "
                "whether) its other operations took effect (a minimal set):\n"
                "    1. #1 c1 PUT b-key \"a\"  [0, 10]\n"
                "    2. #2 c2 PUT b-key \"b\"  [20, 30]\n"
                "    3. #3 c3 GET b-key = \"a\"  [40, 50]\n"
                "  longest linearizable prefix (3 operations, in linearization order):\n"
                "    1. #1 c1 PUT b-key \"a\"  [0, 10]\n"
                "    2. #2 c2 PUT b-key \"b\"  [20, 30]\n"
                "    3. #4 c4 GET b-key = \"b\"  [35, 60]\n"
                "  value after the prefix: \"b\"\n"
                "  none of these could be linearized next:\n"
                "    1. #3 c3 GET b-key = \"a\"  [40, 50]\n"
                "  #3 returned before any other remaining operation was called, so one of these "
                "had to go next.\n");
}

TEST(LinearizabilityCheckerTest, ExhaustedBudgetGivesUnknownNotAGuess) {
  // Ten concurrent writes of distinct values and a read of each: many
  // orders to try.
  std::vector<Operation> history;
  for (int client = 0; client < 10; ++client) {
    history.push_back(MakePut(client, "x", std::to_string(client), 0, 100));
  }
  history.push_back(MakeGet(20, "x", "0", 150, 160));
  CheckOptions tiny;
  tiny.max_search_steps = 5;
  const absl::StatusOr<CheckResult> unknown = CheckLinearizability(history, tiny);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->verdict, Verdict::kUnknown);
  EXPECT_EQ(unknown->key, "x");
  EXPECT_EQ(unknown->search_steps, 5);
  EXPECT_NE(FormatCheckResult(*unknown).find("budget ran out"), std::string::npos);

  const absl::StatusOr<CheckResult> decided = CheckLinearizability(history, kGenerous);
  ASSERT_TRUE(decided.ok());
  EXPECT_EQ(decided->verdict, Verdict::kOk);
  EXPECT_GT(decided->search_steps, 5);
}

TEST(LinearizabilityCheckerTest, AReadOfAValueNeverWrittenIsAViolationWithoutSearching) {
  // However many orders its other operations allow, no budget is needed.
  std::vector<Operation> history;
  for (int client = 0; client < 10; ++client) {
    history.push_back(MakePut(client, "x", std::to_string(client), 0, 100));
  }
  history.push_back(MakeGet(20, "x", "never", 150, 160));
  CheckOptions none;
  none.max_search_steps = 0;
  const absl::StatusOr<CheckResult> result = CheckLinearizability(history, none);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->verdict, Verdict::kViolation);
  EXPECT_EQ(result->key, "x");
  EXPECT_EQ(result->search_steps, 0);
  ASSERT_TRUE(result->impossible.has_value());
  EXPECT_EQ(result->impossible->observer.history_index, 10u);
  EXPECT_EQ(result->impossible->reason, ImpossibleReason::kNeverWritten);
  EXPECT_FALSE(result->impossible->first_writer.has_value());
  // Any write that completed before the read replaced what the key held,
  // so one of them and the read conflict, whatever the key held before.
  std::vector<size_t> conflicting;
  for (const ReportedOperation& reported : result->conflicting) {
    conflicting.push_back(reported.history_index);
  }
  // (Whether the set is minimal is not asserted: the last trial, with every
  // other write relaxed, searches orders of ten pending writes and can run
  // out of its cap.)
  EXPECT_EQ(conflicting, (std::vector<size_t>{0, 10}));
  EXPECT_FALSE(result->conflict_needs_absent_start);
  EXPECT_NE(FormatCheckResult(*result).find("#10 c20 GET x = \"never\"  [150, 160]\n"
                                            "    read a value that no operation of the key writes"),
            std::string::npos)
      << FormatCheckResult(*result);
}

TEST(LinearizabilityCheckerTest, ReportsAReadOfAValueWrittenOnlyAfterItReturned) {
  const std::vector<Operation> history = {
      MakePut(1, "x", "a", 0, 10), MakeGet(2, "x", "a", 20, 30), MakeGet(2, "x", "b", 40, 50),
      MakePut(1, "x", "b", 60, 70)};
  const absl::StatusOr<CheckResult> result = CheckLinearizability(history, kGenerous);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->verdict, Verdict::kViolation);
  ASSERT_TRUE(result->impossible.has_value());
  EXPECT_EQ(result->impossible->observer.history_index, 2u);
  EXPECT_EQ(result->impossible->reason, ImpossibleReason::kWrittenOnlyLater);
  ASSERT_TRUE(result->impossible->first_writer.has_value());
  EXPECT_EQ(result->impossible->first_writer->history_index, 3u);
  EXPECT_EQ(FormatCheckResult(*result),
            "linearizability: violation (0 of 1 keys checked, " +
                std::to_string(result->search_steps) +
                " search steps)\n"
                "  key x has no linearization.\n"
                "  #2 c2 GET x = \"b\"  [40, 50]\n"
                "    read a value that only operations called after it returned write (the first: "
                "#3, called at 60): no order of the key's operations allows it.\n"
                "  these operations conflict whatever the key held before and whenever (or "
                "whether) its other operations took effect (a minimal set):\n"
                "    1. #0 c1 PUT x \"a\"  [0, 10]\n"
                "    2. #2 c2 GET x = \"b\"  [40, 50]\n"
                "  longest linearizable prefix (2 operations, in linearization order):\n"
                "    1. #0 c1 PUT x \"a\"  [0, 10]\n"
                "    2. #1 c2 GET x = \"a\"  [20, 30]\n"
                "  value after the prefix: \"a\"\n"
                "  none of these could be linearized next:\n"
                "    1. #2 c2 GET x = \"b\"  [40, 50]\n"
                "  #2 returned before any other remaining operation was called, so one of these "
                "had to go next.\n");
}

TEST(LinearizabilityCheckerTest, RejectsMalformedInputWithAStatus) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 10, 5)};
  EXPECT_EQ(CheckLinearizability(history, kGenerous).status().code(),
            absl::StatusCode::kInvalidArgument);
  CheckOptions negative;
  negative.max_search_steps = -1;
  EXPECT_EQ(CheckLinearizability({}, negative).status().code(),
            absl::StatusCode::kInvalidArgument);
  negative = CheckOptions();
  negative.max_explanation_steps = -1;
  EXPECT_EQ(CheckLinearizability({}, negative).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<Operation> two = {MakePut(1, "x", "a", 0, 5), MakePut(1, "y", "a", 0, 5)};
  const std::vector<uint32_t> one_number = {0};
  EXPECT_EQ(CheckLinearizability(two, one_number, kGenerous).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Key numbers that do not match the keys are a caller's bug: a check, not
// a verdict on the wrong grouping.
TEST(LinearizabilityCheckerDeathTest, KeyNumbersMustMatchKeys) {
  const std::vector<Operation> history = {MakePut(1, "x", "a", 0, 5), MakePut(1, "y", "a", 0, 5)};
  const std::vector<uint32_t> shared = {4, 4};
  EXPECT_DEATH(CheckLinearizability(history, shared, kGenerous).IgnoreError(), "key");
  const std::vector<uint32_t> split = {1, 2};
  const std::vector<Operation> same_key = {MakePut(1, "x", "a", 0, 5), MakePut(1, "x", "b", 6, 9)};
  EXPECT_DEATH(CheckLinearizability(same_key, split, kGenerous).IgnoreError(), "key");
}

}  // namespace
}  // namespace kv::properties
