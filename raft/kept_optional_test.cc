#include "raft/kept_optional.h"

#include <string>

#include <gtest/gtest.h>

#include "raft/raft.pb.h"

namespace kv::raft {
namespace {

TEST(KeptOptionalTest, StartsAbsent) {
  KeptOptional<HardState> value;
  EXPECT_FALSE(value.has_value());
  EXPECT_FALSE(static_cast<bool>(value));
}

TEST(KeptOptionalTest, EmplaceGivesAFreshValue) {
  KeptOptional<HardState> value;
  value.RefillOver().set_term(3);
  value.reset();
  HardState& fresh = value.emplace();
  EXPECT_TRUE(value.has_value());
  EXPECT_EQ(&fresh, &*value);
  EXPECT_EQ(fresh.SerializeAsString(), HardState().SerializeAsString());
}

TEST(KeptOptionalTest, ResetKeepsTheObjectForRefillOver) {
  KeptOptional<std::string> value;
  value.emplace().assign(100, 'x');
  const char* buffer = value->data();
  value.reset();
  EXPECT_FALSE(value.has_value());
  std::string& refilled = value.RefillOver();
  EXPECT_TRUE(value.has_value());
  // The same object, its storage with it, and its old contents until the
  // caller writes over them.
  EXPECT_EQ(refilled.data(), buffer);
  EXPECT_EQ(*value, std::string(100, 'x'));
  refilled.assign(1, 'y');  // Not assign("y"): GCC 12 warns falsely (-Wrestrict).
  EXPECT_EQ(*value, "y");
}

TEST(KeptOptionalTest, CopiesCarryTheFlagAndTheValue) {
  KeptOptional<HardState> value;
  value.emplace().set_vote(2);
  const KeptOptional<HardState> copy = value;
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->vote(), 2u);
  value.reset();
  const KeptOptional<HardState> absent = value;
  EXPECT_FALSE(absent.has_value());
}

#if RAFT_DCHECK_IS_ON
TEST(KeptOptionalDeathTest, ReadingAnAbsentValueFailsTheCheck) {
  KeptOptional<HardState> value;
  value.emplace().set_term(4);
  value.reset();
  EXPECT_DEATH((void)value->term(), "has_value_");
}
#endif

}  // namespace
}  // namespace kv::raft
