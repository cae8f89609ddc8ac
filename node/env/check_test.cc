#include "node/env/check.h"

#include "gtest/gtest.h"
#include "node/env/status_macros.h"

namespace kv::env {
namespace {

TEST(CheckDeathTest, FailedCheckPrintsExpressionAndValues) {
  const int committed = 5, applied = 7;
  EXPECT_DEATH(KV_CHECK_LE(applied, committed), "applied <= committed.*7 vs 5");
}

TEST(CheckDeathTest, PassingCheckDoesNothing) {
  KV_CHECK_EQ(1 + 1, 2);
  KV_DCHECK(true);
  SUCCEED();
}

#if KV_DCHECK_IS_ON
TEST(CheckDeathTest, DebugCheckIsOnInSimulationBuilds) {
  EXPECT_DEATH(KV_DCHECK_EQ(1, 2), "1 == 2");
}
#endif

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::Status Quarter(int x, int& out) {
  KV_ASSIGN_OR_RETURN(int half, Half(x));
  KV_ASSIGN_OR_RETURN(out, Half(half));
  KV_RETURN_IF_ERROR(absl::OkStatus());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, out).ok());
  EXPECT_EQ(out, 2);
  EXPECT_EQ(Quarter(6, out).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kv::env
