#include "raft/raft_log_entry_cache.h"

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "raft/kept_buffer.h"
#include "raft/random.h"

namespace kv::raft {
namespace {

constexpr uint64_t kOverhead = RaftLogEntryCache::kEntryOverheadBytes;

Entry MakeEntry(uint64_t index, uint64_t term, std::string data) {
  Entry entry;
  entry.set_index(index);
  entry.set_term(term);
  entry.set_data(std::move(data));
  return entry;
}

// Pushes a copy of `entry` (PushSwap takes the argument's contents).
void Push(RaftLogEntryCache& cache, const Entry& entry) {
  Entry pushed = entry;
  cache.PushSwap(pushed);
}

std::vector<uint64_t> Indexes(const RaftLogEntryCache& cache) {
  std::vector<uint64_t> indexes;
  if (cache.empty()) return indexes;
  for (uint64_t i = cache.first_index(); i <= cache.last_index(); ++i) {
    indexes.push_back(cache.at(i).index());
  }
  return indexes;
}

TEST(RaftLogEntryCacheTest, TakesEntriesWithoutCopyingAndHandsThemOut) {
  RaftLogEntryCache cache(1 << 20);
  Entry entry = MakeEntry(5, 2, "persisted");
  const char* buffer = entry.data().data();
  cache.PushSwap(entry);
  // Swapped in, not copied: the cache holds the very buffer.
  EXPECT_EQ(cache.at(5).data().data(), buffer);
  EXPECT_TRUE(entry.data().empty());
  Push(cache, MakeEntry(6, 2, "next"));
  EXPECT_EQ(cache.first_index(), 5u);
  EXPECT_EQ(cache.last_index(), 6u);
  EXPECT_EQ(cache.bytes(), 13 + 2 * kOverhead);

  // Handed out over what out held; they leave the cache.
  std::vector<Entry> out = {MakeEntry(1, 1, "old-a"), MakeEntry(2, 1, "old-b"),
                            MakeEntry(3, 1, "old-c")};
  cache.TakeFrontInto(7, 0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].SerializeAsString(), MakeEntry(5, 2, "persisted").SerializeAsString());
  EXPECT_EQ(out[0].data().data(), buffer);
  EXPECT_EQ(out[1].SerializeAsString(), MakeEntry(6, 2, "next").SerializeAsString());
  EXPECT_TRUE(cache.empty());
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(RaftLogEntryCacheTest, TakeStopsAtHiAndAtTheByteLimitButTakesOne) {
  RaftLogEntryCache cache(1 << 20);
  for (uint64_t i = 1; i <= 4; ++i) Push(cache, MakeEntry(i, 1, "abcd"));
  std::vector<Entry> out;
  cache.TakeFrontInto(2, 0, out);  // hi: only entry 1.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].index(), 1u);
  cache.TakeFrontInto(5, 3, out);  // Entry 2 alone exceeds 3 bytes: still taken.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].index(), 2u);
  cache.TakeFrontInto(5, 8, out);  // 3 and 4 make exactly 8.
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].index(), 4u);
  EXPECT_TRUE(cache.empty());
}

TEST(RaftLogEntryCacheTest, AnEntryThatDoesNotFollowReplacesTheCache) {
  RaftLogEntryCache cache(1 << 20);
  Push(cache, MakeEntry(1, 1, "a"));
  Push(cache, MakeEntry(2, 1, "b"));
  Push(cache, MakeEntry(7, 3, "g"));
  EXPECT_EQ(Indexes(cache), (std::vector<uint64_t>{7}));
  EXPECT_EQ(cache.bytes(), 1 + kOverhead);
}

TEST(RaftLogEntryCacheTest, TruncateAndDropThroughKeepTheRest) {
  RaftLogEntryCache cache(1 << 20);
  for (uint64_t i = 3; i <= 7; ++i) Push(cache, MakeEntry(i, 1, "xy"));
  cache.TruncateFrom(9);  // Beyond: nothing.
  cache.DropThrough(2);   // Before: nothing.
  EXPECT_EQ(Indexes(cache), (std::vector<uint64_t>{3, 4, 5, 6, 7}));
  cache.TruncateFrom(6);
  EXPECT_EQ(Indexes(cache), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(cache.bytes(), 6 + 3 * kOverhead);
  // A replacement entry 6 follows on.
  Push(cache, MakeEntry(6, 2, "new"));
  EXPECT_EQ(cache.at(6).term(), 2u);
  cache.DropThrough(4);
  EXPECT_EQ(Indexes(cache), (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(cache.bytes(), 5 + 2 * kOverhead);
  cache.TruncateFrom(2);
  EXPECT_TRUE(cache.empty());
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(RaftLogEntryCacheTest, TheOldestGoWhenTheCostWouldExceedTheBound) {
  RaftLogEntryCache cache(8 + 2 * kOverhead);
  Push(cache, MakeEntry(1, 1, "aaaa"));
  Push(cache, MakeEntry(2, 1, "bbbb"));
  Push(cache, MakeEntry(3, 1, "cccc"));  // Over the bound: entry 1 goes.
  EXPECT_EQ(Indexes(cache), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(cache.bytes(), 8 + 2 * kOverhead);
  // Exactly the bound, alone.
  Push(cache, MakeEntry(4, 1, std::string(8 + kOverhead, 'd')));
  EXPECT_EQ(Indexes(cache), (std::vector<uint64_t>{4}));
  EXPECT_EQ(cache.bytes(), cache.max_bytes());
  // Above the bound: kept nowhere.
  Push(cache, MakeEntry(5, 1, std::string(9 + kOverhead, 'e')));
  EXPECT_TRUE(cache.empty());
  EXPECT_EQ(cache.bytes(), 0u);
  Push(cache, MakeEntry(6, 1, "f"));
  EXPECT_EQ(Indexes(cache), (std::vector<uint64_t>{6}));
}

// Entries without data cost their overhead: any number of them is bounded.
TEST(RaftLogEntryCacheTest, EntriesWithoutDataAreBoundedToo) {
  RaftLogEntryCache cache(3 * kOverhead);
  for (uint64_t i = 1; i <= 10; ++i) Push(cache, MakeEntry(i, 1, ""));
  EXPECT_EQ(Indexes(cache), (std::vector<uint64_t>{8, 9, 10}));
}

TEST(RaftLogEntryCacheTest, AZeroBoundKeepsNothing) {
  RaftLogEntryCache cache(0);
  Push(cache, MakeEntry(1, 1, ""));
  Push(cache, MakeEntry(2, 1, "b"));
  EXPECT_TRUE(cache.empty());
}

// Spares are bounded in number, and a huge buffer handed back through out
// is released rather than kept (kept_buffer.h).
TEST(RaftLogEntryCacheTest, SparesAreBounded) {
  RaftLogEntryCache cache(64 << 20);
  const uint64_t count = 3 * RaftLogEntryCache::kMaxSpareEntries;
  for (uint64_t i = 1; i <= count; ++i) Push(cache, MakeEntry(i, 1, "v"));
  EXPECT_EQ(cache.capacity_entries(), count);
  cache.Clear();
  EXPECT_LE(cache.capacity_entries(), RaftLogEntryCache::kMaxSpareEntries);

  Push(cache, MakeEntry(1, 1, "v"));
  std::vector<Entry> out = {MakeEntry(9, 9, std::string(kMaxKeptBufferBytes + 1, 'h'))};
  cache.TakeFrontInto(2, 0, out);
  for (uint64_t i = 2; i <= 1 + RaftLogEntryCache::kMaxSpareEntries; ++i) {
    Push(cache, MakeEntry(i, 1, ""));
  }
  for (uint64_t i = cache.first_index(); i <= cache.last_index(); ++i) {
    EXPECT_LE(cache.at(i).data().capacity(), kMaxKeptBufferBytes) << i;
  }
}

// A long random sequence of every operation against a deque of the
// entries that should be cached: the ring's rotations and the bounds keep
// exactly the right entries, in order, with the right byte count.
TEST(RaftLogEntryCacheTest, MatchesASimpleModel) {
  constexpr uint64_t kBound = 64 + 4 * kOverhead;
  RaftLogEntryCache cache(kBound);
  std::deque<Entry> model;
  uint64_t model_bytes = 0;
  uint64_t next = 1;
  Random random(7);
  for (int step = 0; step < 20000; ++step) {
    const uint64_t op = random.Uniform(10);
    if (op < 5) {
      // Mostly the next index; sometimes a jump.
      if (random.Uniform(20) == 0) next += 1 + random.Uniform(5);
      Entry entry = MakeEntry(next, 1 + next / 50, std::string(random.Uniform(30), 'a' + next % 26));
      ++next;
      if (!model.empty() && entry.index() != model.back().index() + 1) {
        model.clear();
        model_bytes = 0;
      }
      const uint64_t bytes = RaftLogEntryCache::CostBytes(entry);
      if (bytes > kBound) {
        model.clear();
        model_bytes = 0;
      } else {
        while (model_bytes + bytes > kBound) {
          model_bytes -= RaftLogEntryCache::CostBytes(model.front());
          model.pop_front();
        }
        model.push_back(entry);
        model_bytes += bytes;
      }
      cache.PushSwap(entry);
    } else if (op < 8) {
      if (model.empty()) continue;
      const uint64_t hi = model.front().index() + 1 + random.Uniform(model.size() + 2);
      const uint64_t max_bytes = random.Uniform(3) == 0 ? random.Uniform(40) : 0;
      std::vector<Entry> expected;
      uint64_t total = 0;
      while (!model.empty() && model.front().index() < hi) {
        total += model.front().data().size();
        if (!expected.empty() && max_bytes != 0 && total > max_bytes) break;
        model_bytes -= RaftLogEntryCache::CostBytes(model.front());
        expected.push_back(model.front());
        model.pop_front();
      }
      std::vector<Entry> out(random.Uniform(4), MakeEntry(99, 9, "junk"));
      cache.TakeFrontInto(hi, max_bytes, out);
      ASSERT_EQ(out.size(), expected.size()) << step;
      for (size_t i = 0; i < out.size(); ++i) {
        ASSERT_EQ(out[i].SerializeAsString(), expected[i].SerializeAsString()) << step;
      }
    } else if (op == 8) {
      if (model.empty()) continue;
      const uint64_t from = model.front().index() + random.Uniform(model.size() + 1);
      while (!model.empty() && model.back().index() >= from) {
        model_bytes -= RaftLogEntryCache::CostBytes(model.back());
        model.pop_back();
      }
      cache.TruncateFrom(from);
      next = from;
    } else {
      if (model.empty()) continue;
      const uint64_t through = model.front().index() + random.Uniform(model.size() + 1) - 1;
      while (!model.empty() && model.front().index() <= through) {
        model_bytes -= RaftLogEntryCache::CostBytes(model.front());
        model.pop_front();
      }
      cache.DropThrough(through);
    }
    ASSERT_EQ(cache.size(), model.size()) << step;
    ASSERT_EQ(cache.bytes(), model_bytes) << step;
    for (const Entry& entry : model) {
      ASSERT_TRUE(cache.Contains(entry.index())) << step;
      ASSERT_EQ(cache.at(entry.index()).SerializeAsString(), entry.SerializeAsString()) << step;
    }
    ASSERT_LE(cache.capacity_entries(), cache.size() + RaftLogEntryCache::kMaxSpareEntries + 1);
  }
}

}  // namespace
}  // namespace kv::raft
