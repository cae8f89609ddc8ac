#include "node/env/memory_budget.h"

#include "gtest/gtest.h"

namespace kv::env {
namespace {

TEST(MemoryBudgetTest, ReserveWithinLimitSucceeds) {
  MemoryBudget budget(100);
  ASSERT_TRUE(budget.Reserve(60, "test").ok());
  EXPECT_EQ(budget.used_bytes(), 60);
  budget.Release(60);
  EXPECT_EQ(budget.used_bytes(), 0);
  EXPECT_EQ(budget.peak_bytes(), 60);
}

TEST(MemoryBudgetTest, ReserveBeyondLimitIsRefusedAndChangesNothing) {
  MemoryBudget budget(100);
  ASSERT_TRUE(budget.Reserve(60, "a").ok());
  const absl::Status status = budget.Reserve(41, "queued request");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(status.message().find("queued request"), absl::string_view::npos);
  EXPECT_EQ(budget.used_bytes(), 60);
  EXPECT_EQ(budget.refusal_count(), 1);
  budget.Release(60);
}

TEST(MemoryBudgetTest, ScopedReservationReleasesOnDestruction) {
  MemoryBudget budget(100);
  {
    Reservation r;
    ASSERT_TRUE(budget.ReserveScoped(30, "scoped", r).ok());
    EXPECT_EQ(r.bytes(), 30);
    EXPECT_EQ(budget.used_bytes(), 30);
    Reservation moved = std::move(r);
    EXPECT_EQ(r.bytes(), 0);
    EXPECT_EQ(budget.used_bytes(), 30);
  }
  EXPECT_EQ(budget.used_bytes(), 0);
}

TEST(MemoryBudgetTest, LoweredLimitRefusesUntilUsageFallsAndRecovers) {
  MemoryBudget budget(100);
  ASSERT_TRUE(budget.Reserve(80, "a").ok());
  budget.SetLimit(50);  // Memory pressure: usage stays, new work is refused.
  EXPECT_EQ(budget.Reserve(1, "b").code(), absl::StatusCode::kResourceExhausted);
  budget.Release(80);
  EXPECT_TRUE(budget.Reserve(50, "c").ok());
  EXPECT_FALSE(budget.Reserve(1, "d").ok());
  budget.SetLimit(100);  // Pressure ends.
  EXPECT_TRUE(budget.Reserve(50, "e").ok());
  budget.Release(100);
}

}  // namespace
}  // namespace kv::env
