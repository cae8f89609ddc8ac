#include "storage/log_state.h"

#include <map>

#include "gtest/gtest.h"

namespace kv::storage {
namespace {

LogWrite Entries(uint64_t first, std::initializer_list<uint64_t> terms) {
  LogWrite write;
  uint64_t index = first;
  for (uint64_t term : terms) write.entries.push_back(LogEntry{index++, term, "p"});
  return write;
}

TEST(LogStateTest, AppendDropsConflictingSuffix) {
  LogState state;
  state.ApplyWrite(Entries(1, {1, 1, 2, 2}));
  const LogWrite conflict = Entries(3, {3});
  ASSERT_TRUE(state.CheckWrite(conflict).ok());
  const AppendPlan plan = state.PlanWrite(conflict);
  EXPECT_EQ(plan.truncate_from, 3u);
  EXPECT_EQ(plan.truncate_to, 4u);
  AppendPlan checked;
  ASSERT_TRUE(state.CheckWrite(conflict, checked).ok());
  EXPECT_EQ(checked.skipped_count, plan.skipped_count);
  EXPECT_EQ(checked.truncate_from, 3u);
  EXPECT_EQ(checked.truncate_to, 4u);
  state.ApplyWrite(conflict);
  EXPECT_EQ(state.LastIndex(), 3u);
  EXPECT_EQ(*state.Term(3), 3u);
}

TEST(LogStateTest, RejectsGapsAndFallingTerms) {
  LogState state;
  state.ApplyWrite(Entries(1, {2, 2}));
  EXPECT_EQ(state.CheckWrite(Entries(4, {2})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.CheckWrite(Entries(3, {1})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.CheckWrite(Entries(1, {3, 2})).code(), absl::StatusCode::kInvalidArgument);
  LogWrite lower;
  lower.hard_state = HardState{5, 0, 0};
  state.ApplyWrite(lower);
  lower.hard_state = HardState{4, 0, 0};
  EXPECT_EQ(state.CheckWrite(lower).code(), absl::StatusCode::kInvalidArgument);
  // The same with an entry that is fine on its own: the usual write's
  // check (one entry) must catch the hard state too.
  LogWrite lower_with_entry = Entries(3, {2});
  lower_with_entry.hard_state = HardState{4, 0, 0};
  AppendPlan plan;
  EXPECT_EQ(state.CheckWrite(lower_with_entry, plan).code(), absl::StatusCode::kInvalidArgument);
  lower_with_entry.hard_state = HardState{5, 0, 0};
  EXPECT_TRUE(state.CheckWrite(lower_with_entry, plan).ok());
}

TEST(LogStateTest, ReceivedSnapshotResetsLogLocalOneKeepsIt) {
  LogState state;
  state.ApplyWrite(Entries(1, {1, 1, 2}));
  const SnapshotMetadata local{2, 1, "c"};
  EXPECT_TRUE(state.SnapshotKeepsLog(local));
  state.ApplySnapshot(StoredSnapshotMetadata{local, 0, 0});
  EXPECT_EQ(state.LastIndex(), 3u);
  const SnapshotMetadata received{9, 4, "c"};
  EXPECT_FALSE(state.SnapshotKeepsLog(received));
  state.ApplySnapshot(StoredSnapshotMetadata{received, 0, 0});
  EXPECT_EQ(state.FirstIndex(), 10u);
  EXPECT_EQ(state.LastIndex(), 9u);
  EXPECT_EQ(*state.Term(9), 4u);
  EXPECT_EQ(state.Term(8).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(LogStateTest, CompactOnlyWhatTheSnapshotCovers) {
  LogState state;
  state.ApplyWrite(Entries(1, {1, 1, 2}));
  EXPECT_EQ(state.CheckCompact(1).code(), absl::StatusCode::kFailedPrecondition);
  state.ApplySnapshot(StoredSnapshotMetadata{SnapshotMetadata{2, 1, ""}, 0, 0});
  ASSERT_TRUE(state.CheckCompact(2).ok());
  state.ApplyCompact(2);
  EXPECT_EQ(state.FirstIndex(), 3u);
  EXPECT_EQ(*state.Term(2), 1u);
  // Entries at or below the base are skipped, not an error.
  EXPECT_TRUE(state.CheckWrite(Entries(2, {1, 2})).ok());
}

// The terms live in a vector whose dead prefix compaction erases only now
// and then; appends, conflicting suffixes and compactions in every mix must
// still answer Term, FirstIndex and LastIndex like a plain map would.
TEST(LogStateTest, TermsSurviveLongRunsOfAppendsTruncationsAndCompactions) {
  LogState state;
  std::map<uint64_t, uint64_t> model;  // index -> term, base included
  model[0] = 0;
  uint64_t term = 1;
  for (uint64_t round = 1; round <= 300; ++round) {
    // Append 1 to 5 entries, replacing a suffix every seventh round.
    uint64_t first = state.LastIndex() + 1;
    if (round % 7 == 0 && state.LastIndex() > state.snapshot().metadata.index) {
      first = state.LastIndex();
      ++term;
    }
    LogWrite write;
    for (uint64_t i = 0; i < 1 + round % 5; ++i) {
      write.entries.push_back(LogEntry{first + i, term, "p"});
    }
    ASSERT_TRUE(state.CheckWrite(write).ok()) << round;
    state.ApplyWrite(write);
    model.erase(model.lower_bound(first), model.end());
    for (const LogEntry& entry : write.entries) model[entry.index] = entry.term;
    // Compact to a snapshot a few entries back, every third round.
    if (round % 3 == 0) {
      const uint64_t index = state.LastIndex() - round % 4;
      if (index > state.snapshot().metadata.index) {
        state.ApplySnapshot(StoredSnapshotMetadata{SnapshotMetadata{index, model[index], ""}, 0, 0});
        ASSERT_TRUE(state.CheckCompact(index).ok());
        state.ApplyCompact(index);
        model.erase(model.begin(), model.find(index));
      }
    }
    state.CheckInvariants();
    ASSERT_EQ(state.FirstIndex(), model.begin()->first + 1) << round;
    ASSERT_EQ(state.LastIndex(), model.rbegin()->first) << round;
    for (const auto& [index, expected] : model) ASSERT_EQ(*state.Term(index), expected) << index;
    EXPECT_EQ(state.Term(model.rbegin()->first + 1).status().code(),
              absl::StatusCode::kOutOfRange);
    if (model.begin()->first > 0) {
      EXPECT_EQ(state.Term(model.begin()->first - 1).status().code(),
                absl::StatusCode::kOutOfRange);
    }
  }
}

TEST(LogStateTest, RefusesToReplaceEntriesTheSnapshotCovers) {
  LogState state;
  state.ApplyWrite(Entries(1, {1, 1, 2, 2}));
  state.ApplySnapshot(StoredSnapshotMetadata{SnapshotMetadata{3, 2, ""}, 0, 0});
  // Raft never replaces a committed entry; a snapshot covers only those.
  EXPECT_EQ(state.CheckWrite(Entries(3, {3})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(state.CheckWrite(Entries(4, {3})).ok());
}

}  // namespace
}  // namespace kv::storage
