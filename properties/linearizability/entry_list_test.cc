#include "properties/linearizability/entry_list.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace kv::properties {
namespace {

PartitionOp Interval(int64_t call_ns, int64_t return_ns) {
  PartitionOp op;
  op.call_ns = call_ns;
  op.return_ns = return_ns;
  return op;
}

// Renders the list as "c0 r0 c1 ..." (call/return, op index).
std::string Render(const EntryList& list) {
  std::string text;
  for (int32_t entry = list.First(); entry != EntryList::kEnd; entry = list.Next(entry)) {
    absl::StrAppend(&text, text.empty() ? "" : " ", list.IsCall(entry) ? "c" : "r",
                    list.OpIndex(entry));
  }
  return text;
}

TEST(EntryListTest, OrdersEventsByTimeWithCallsBeforeReturnsOnTies) {
  const std::vector<PartitionOp> ops = {Interval(10, 20), Interval(0, 10), Interval(5, 30),
                                        Interval(20, 20)};
  const EntryList list(ops);
  EXPECT_EQ(Render(list), "c1 c2 c0 r1 c3 r0 r3 r2");
  EXPECT_EQ(list.size(), 8);
}

TEST(EntryListTest, LiftRemovesBothEntriesAndUnliftRestoresInReverseOrder) {
  const std::vector<PartitionOp> ops = {Interval(0, 10), Interval(5, 15), Interval(7, 30)};
  EntryList list(ops);
  const std::string original = Render(list);
  EXPECT_EQ(original, "c0 c1 c2 r0 r1 r2");

  list.Lift(list.CallEntry(1));
  EXPECT_EQ(Render(list), "c0 c2 r0 r2");
  list.Lift(list.CallEntry(0));
  EXPECT_EQ(Render(list), "c2 r2");
  list.Lift(list.CallEntry(2));
  EXPECT_EQ(Render(list), "");
  EXPECT_EQ(list.First(), EntryList::kEnd);

  list.Unlift(list.CallEntry(2));
  EXPECT_EQ(Render(list), "c2 r2");
  list.Unlift(list.CallEntry(0));
  EXPECT_EQ(Render(list), "c0 c2 r0 r2");
  list.Unlift(list.CallEntry(1));
  EXPECT_EQ(Render(list), original);
  EXPECT_EQ(list.size(), 6);
}

TEST(EntryListTest, EmptyListHasNoEntries) {
  const EntryList list(std::vector<PartitionOp>{});
  EXPECT_EQ(list.First(), EntryList::kEnd);
  EXPECT_EQ(list.size(), 0);
}

}  // namespace
}  // namespace kv::properties
