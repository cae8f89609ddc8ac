#include "properties/linearizability/entry_list.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

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

// The list against a sort of all events by the header's order, for ops in
// call order (as partitions list them) or not, with many equal times.
RC_GTEST_PROP(EntryListTest, OrdersEventsAsAFullSortDoes, ()) {
  const int op_count = *rc::gen::inRange(0, 40);
  std::vector<PartitionOp> ops;
  for (int i = 0; i < op_count; ++i) {
    const int64_t call_ns = *rc::gen::inRange<int64_t>(0, 20);
    ops.push_back(Interval(call_ns, call_ns + *rc::gen::inRange<int64_t>(0, 10)));
  }
  if (*rc::gen::arbitrary<bool>()) {
    std::stable_sort(ops.begin(), ops.end(),
                     [](const PartitionOp& a, const PartitionOp& b) { return a.call_ns < b.call_ns; });
  }
  // (time, 0 for a call / 1 for a return, op index).
  std::vector<std::tuple<int64_t, int, int>> events;
  for (int i = 0; i < op_count; ++i) {
    events.emplace_back(ops[i].call_ns, 0, i);
    events.emplace_back(ops[i].return_ns, 1, i);
  }
  std::sort(events.begin(), events.end());
  std::string expected;
  for (const auto& [time_ns, is_return, op_index] : events) {
    absl::StrAppend(&expected, expected.empty() ? "" : " ", is_return ? "r" : "c", op_index);
  }
  const EntryList list(ops);
  RC_ASSERT(Render(list) == expected);
  RC_ASSERT(list.size() == 2 * op_count);
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
