#include "raft/unstable_entries.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace kv::raft {
namespace {

Entry MakeEntry(uint64_t index, std::string data) {
  Entry entry;
  entry.set_index(index);
  entry.set_term(index / 3 + 1);
  entry.set_data(std::move(data));
  return entry;
}

void ExpectSame(const UnstableEntries& entries, const std::vector<Entry>& model) {
  ASSERT_EQ(entries.size(), model.size());
  EXPECT_EQ(entries.empty(), model.empty());
  for (size_t i = 0; i < model.size(); ++i) {
    EXPECT_EQ(entries[i].SerializeAsString(), model[i].SerializeAsString()) << "entry " << i;
  }
}

TEST(UnstableEntriesTest, DropFrontKeepsTheRestInOrder) {
  const EntryCopier copier;
  UnstableEntries entries;
  for (uint64_t i = 1; i <= 5; ++i) entries.PushCopy(copier, MakeEntry(i, std::to_string(i)));
  entries.DropFront(2);
  ExpectSame(entries, {MakeEntry(3, "3"), MakeEntry(4, "4"), MakeEntry(5, "5")});
  EXPECT_EQ(entries.back().index(), 5u);
}

TEST(UnstableEntriesTest, SparesAreOverwrittenCompletely) {
  const EntryCopier copier;
  UnstableEntries entries;
  Entry conf = MakeEntry(1, "a long payload that leaves its buffer behind");
  conf.set_type(ENTRY_CONF_CHANGE);
  entries.PushCopy(copier, conf);
  entries.PushCopy(copier, MakeEntry(2, "x"));
  entries.DropFront(2);
  EXPECT_TRUE(entries.empty());
  EXPECT_EQ(entries.capacity_entries(), 2u);
  // Both spares reused: nothing of the old entries shows through.
  entries.PushCopy(copier, MakeEntry(3, ""));
  entries.PushMove(MakeEntry(4, "y"));
  EXPECT_EQ(entries.capacity_entries(), 2u);
  ExpectSame(entries, {MakeEntry(3, ""), MakeEntry(4, "y")});
  entries.DropFront(2);
  entries.PushCleared().set_index(5);
  EXPECT_EQ(entries.capacity_entries(), 2u);
  Entry empty;
  empty.set_index(5);
  ExpectSame(entries, {empty});
}

// PushSpare hands a spare back as it is, for the caller to overwrite
// completely (RaftLog::AppendNormal), and a new entry when there is none.
TEST(UnstableEntriesTest, PushSpareReusesASpareAsItIs) {
  const EntryCopier copier;
  UnstableEntries entries;
  entries.PushCopy(copier, MakeEntry(1, "kept"));
  entries.DropFront(1);
  Entry& spare = entries.PushSpare();
  EXPECT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries.capacity_entries(), 1u);
  EXPECT_EQ(spare.SerializeAsString(), MakeEntry(1, "kept").SerializeAsString());
  spare.set_index(2);
  Entry& fresh = entries.PushSpare();
  EXPECT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries.capacity_entries(), 2u);
  EXPECT_EQ(fresh.SerializeAsString(), Entry().SerializeAsString());
  EXPECT_EQ(entries[0].index(), 2u);
}

TEST(UnstableEntriesTest, SparesAreBounded) {
  const EntryCopier copier;
  UnstableEntries entries;
  const size_t count = UnstableEntries::kMaxSpareEntries * 3;
  for (uint64_t i = 1; i <= count; ++i) entries.PushCopy(copier, MakeEntry(i, "d"));
  entries.DropFront(count - 1);
  EXPECT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries.capacity_entries(), 1 + UnstableEntries::kMaxSpareEntries);
  EXPECT_EQ(entries[0].index(), count);
}

// A burst of large entries leaves no large spare behind, whichever way they
// become spares (all persisted, some persisted, truncated), while small
// entries' spares keep their buffers for the next appends (kept_buffer.h).
TEST(UnstableEntriesTest, HugeSparesAreReleasedSmallOnesReused) {
  const EntryCopier copier;
  const std::string huge(16 * kMaxKeptBufferBytes, 'h');
  const size_t count = 8;
  const auto push_huge = [&](UnstableEntries& entries, uint64_t first) {
    for (uint64_t i = first; i < first + count; ++i) entries.PushCopy(copier, MakeEntry(i, huge));
  };
  const auto expect_bounded = [&](const UnstableEntries& entries) {
    const size_t spares = entries.capacity_entries() - entries.size();
    EXPECT_LE(entries.SpareDataBytes(), spares * kMaxKeptBufferBytes);
  };
  UnstableEntries entries;
  push_huge(entries, 1);
  entries.DropFront(count);  // All persisted together.
  expect_bounded(entries);
  push_huge(entries, count + 1);
  entries.DropFront(count / 2);  // Some persisted: the rotation.
  expect_bounded(entries);
  entries.Truncate(1);  // A conflicting suffix dropped.
  expect_bounded(entries);
  entries.Clear();
  expect_bounded(entries);

  // Small entries, the steady state: each append reuses the buffer of the
  // spare it is written over.
  const std::string small(100, 's');
  entries.PushCopy(copier, MakeEntry(1, small));
  entries.DropFront(1);
  entries.PushCopy(copier, MakeEntry(2, small));
  const char* const buffer = entries[0].data().data();
  for (uint64_t i = 3; i < 10; ++i) {
    entries.DropFront(1);
    entries.PushCopy(copier, MakeEntry(i, small));
    EXPECT_EQ(entries[0].data().data(), buffer);
  }
}

// Against a plain vector: any sequence of appends, truncations and drops
// leaves the same live entries.
RC_GTEST_PROP(UnstableEntriesTest, BehavesLikeAVector, ()) {
  const EntryCopier copier;
  UnstableEntries entries;
  std::vector<Entry> model;
  uint64_t next = 1;
  const int steps = *rc::gen::inRange(1, 200);
  for (int step = 0; step < steps; ++step) {
    const int op = *rc::gen::inRange(0, 5);
    if (op <= 1) {
      Entry entry = MakeEntry(next++, std::string(*rc::gen::inRange(0, 40), 'p'));
      model.push_back(entry);
      if (op == 0) {
        entries.PushCopy(copier, entry);
      } else {
        entries.PushMove(std::move(entry));
      }
    } else if (op == 2) {
      const size_t keep = *rc::gen::inRange<size_t>(0, model.size() + 1);
      model.resize(keep);
      entries.Truncate(keep);
    } else {
      const size_t drop = *rc::gen::inRange<size_t>(0, model.size() + 1);
      model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(drop));
      entries.DropFront(drop);
    }
    RC_ASSERT(entries.size() == model.size());
    for (size_t i = 0; i < model.size(); ++i) {
      RC_ASSERT(entries[i].SerializeAsString() == model[i].SerializeAsString());
    }
  }
}

}  // namespace
}  // namespace kv::raft
