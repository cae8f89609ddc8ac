#include "properties/linearizability/history.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kv::properties {
namespace {

TEST(HistoryTest, ValidateAcceptsWellFormedOperations) {
  const std::vector<Operation> history = {
      MakePut(1, "k", "a", 0, 10), MakeGet(2, "k", "a", 5, 5), MakeDelete(1, "k", 11, 20),
      MakeCas(3, "k", std::nullopt, "b", true, 30, 40), TimedOut(MakeGet(4, "k", "zz", 50, 0))};
  EXPECT_TRUE(ValidateHistory(history).ok());
}

TEST(HistoryTest, ValidateRejectsReturnBeforeCall) {
  const std::vector<Operation> history = {MakePut(1, "k", "a", 0, 10),
                                          MakeGet(2, "k", "a", 20, 19)};
  const absl::Status status = ValidateHistory(history);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("operation 1"), absl::string_view::npos) << status;
}

TEST(HistoryTest, ValidateRejectsOutputsOnTimedOutOperation) {
  Operation get = TimedOut(MakeGet(1, "k", std::nullopt, 0, 0));
  get.read_value = std::string("a");
  const std::vector<Operation> history = {get};
  EXPECT_EQ(ValidateHistory(history).code(), absl::StatusCode::kInvalidArgument);
}

TEST(HistoryTest, ValidateRejectsInputsTheKindDoesNotUse) {
  Operation get = MakeGet(1, "k", std::nullopt, 0, 1);
  get.value = std::string("x");  // Not a literal: GCC 12 -Wrestrict false positive.
  Operation put = MakePut(1, "k", "a", 0, 1);
  put.expected = std::string("b");
  Operation del = MakeDelete(1, "k", 0, 1);
  del.cas_succeeded = true;
  Operation bad_kind = MakeDelete(1, "k", 0, 1);
  bad_kind.kind = static_cast<OpKind>(9);
  for (const Operation& operation : {get, put, del, bad_kind}) {
    const std::vector<Operation> history = {operation};
    EXPECT_EQ(ValidateHistory(history).code(), absl::StatusCode::kInvalidArgument)
        << FormatOperation(operation);
  }
}

TEST(HistoryTest, FormatsOperationsReadably) {
  EXPECT_EQ(FormatOperation(MakeCas(3, "k7", "a", "b", true, 1200, 1350)),
            "c3 CAS k7 \"a\"->\"b\" = true  [1200, 1350]");
  EXPECT_EQ(FormatOperation(MakeGet(1, "k1", std::nullopt, 5, 9)), "c1 GET k1 = absent  [5, 9]");
  EXPECT_EQ(FormatOperation(TimedOut(MakePut(2, "k1", "x", 5, 9))),
            "c2 PUT k1 \"x\"  [5, +inf) timed out");
  EXPECT_EQ(FormatOperation(MakeDelete(4, "k", 1, 2)), "c4 DELETE k  [1, 2]");
}

}  // namespace
}  // namespace kv::properties
