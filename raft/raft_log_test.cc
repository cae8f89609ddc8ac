#include "raft/raft_log.h"

#include <gtest/gtest.h>

#include "raft/memory_log_storage.h"
#include "raft/raft_test_util.h"

namespace kv::raft {
namespace {

using testing::MakeConfState;

Entry MakeEntry(uint64_t index, uint64_t term, std::string data = "") {
  Entry entry;
  entry.set_index(index);
  entry.set_term(term);
  entry.set_data(std::move(data));
  return entry;
}

google::protobuf::RepeatedPtrField<Entry> AsRepeated(std::vector<Entry> entries) {
  return google::protobuf::RepeatedPtrField<Entry>(entries.begin(), entries.end());
}

std::vector<Entry> Terms(uint64_t first_index, std::vector<uint64_t> terms) {
  std::vector<Entry> entries;
  for (uint64_t term : terms) entries.push_back(MakeEntry(first_index++, term));
  return entries;
}

class RaftLogTest : public ::testing::Test {
 protected:
  RaftLogTest() : storage_(MakeConfState({1})) {}
  MemoryLogStorage storage_;
};

TEST_F(RaftLogTest, EmptyLogStartsAtZero) {
  RaftLog log(&storage_);
  EXPECT_EQ(log.FirstIndex(), 1u);
  EXPECT_EQ(log.LastIndex(), 0u);
  EXPECT_EQ(log.LastTerm(), 0u);
  EXPECT_EQ(log.committed(), 0u);
}

TEST_F(RaftLogTest, AppendDropsConflictingSuffix) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1, 1}));
  log.Append(Terms(2, {2}));
  EXPECT_EQ(log.LastIndex(), 2u);
  EXPECT_EQ(log.TermOrZero(2), 2u);
}

// An index past the end matches no term (an append ahead of this log),
// whether the log ends in unstable entries or in storage.
TEST_F(RaftLogTest, NothingMatchesBeyondTheLastIndex) {
  RaftLog log(&storage_);
  EXPECT_FALSE(log.MatchTerm(1, 0));
  EXPECT_EQ(log.TermOrZero(1), 0u);
  log.Append(Terms(1, {1, 2}));
  EXPECT_TRUE(log.MatchTerm(2, 2));
  EXPECT_FALSE(log.MatchTerm(3, 2));
  EXPECT_EQ(log.TermOrZero(3), 0u);
  EXPECT_FALSE(log.MaybeAppend(3, 2, 0, AsRepeated(Terms(4, {2}))).has_value());
  EXPECT_EQ(log.LastIndex(), 2u);
}

TEST_F(RaftLogTest, MaybeAppendRejectsMismatchedPrevious) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 2}));
  EXPECT_FALSE(log.MaybeAppend(2, 1, 0, AsRepeated(Terms(3, {3}))).has_value());
  EXPECT_EQ(log.LastIndex(), 2u);
}

TEST_F(RaftLogTest, MaybeAppendIgnoresAlreadyPresentEntries) {
  // A duplicate or reordered MSG_APP must never truncate (Raft paper 5.3).
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1, 1, 1}));
  std::optional<uint64_t> last = log.MaybeAppend(0, 0, 0, AsRepeated(Terms(1, {1, 1})));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 2u);
  EXPECT_EQ(log.LastIndex(), 4u);
}

TEST_F(RaftLogTest, MaybeAppendReplacesAConflictingSuffix) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1, 1}));
  ASSERT_EQ(log.TakeUnstableEntries().size(), 3u);
  // Entry 2 matches; entry 3 conflicts, so it and everything after it go,
  // and the new entries (handed out anew) follow entry 2.
  const google::protobuf::RepeatedPtrField<Entry> message_entries = AsRepeated(
      {MakeEntry(2, 1, "b"), MakeEntry(3, 2, "c"), MakeEntry(4, 2, "d")});
  std::optional<uint64_t> last = log.MaybeAppend(1, 1, 0, message_entries);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 4u);
  EXPECT_EQ(log.LastIndex(), 4u);
  EXPECT_EQ(log.TermOrZero(2), 1u);
  EXPECT_EQ(log.TermOrZero(3), 2u);
  std::vector<Entry> unstable = log.TakeUnstableEntries();
  ASSERT_EQ(unstable.size(), 2u);
  EXPECT_EQ(unstable[0].index(), 3u);
  EXPECT_EQ(unstable[0].data(), "c");
  EXPECT_EQ(unstable[1].data(), "d");
  // The message still holds its entries: they were copied.
  EXPECT_EQ(message_entries[1].data(), "c");
}

TEST_F(RaftLogTest, TakeUnstableEntriesIntoReplacesWhatTheBufferHeld) {
  RaftLog log(&storage_);
  log.Append({MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")});
  // A refilled buffer holding more (and other) entries than are handed out.
  std::vector<Entry> out = {MakeEntry(7, 3, "old-x"), MakeEntry(8, 3, "old-y"),
                            MakeEntry(9, 3, "old-z")};
  log.TakeUnstableEntriesInto(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].index(), 1u);
  EXPECT_EQ(out[0].data(), "a");
  EXPECT_EQ(out[1].index(), 2u);
  EXPECT_EQ(out[1].data(), "b");
  // Nothing left to hand out: the buffer is emptied, not left stale.
  log.TakeUnstableEntriesInto(out);
  EXPECT_TRUE(out.empty());
}

TEST_F(RaftLogTest, MaybeAppendCommitsAtMostTheLastNewEntry) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1, 1, 1}));
  log.MaybeAppend(0, 0, 10, AsRepeated(Terms(1, {1, 1})));
  EXPECT_EQ(log.committed(), 2u);
}

TEST_F(RaftLogTest, CommitNeverDecreases) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1, 1}));
  log.CommitTo(3);
  log.CommitTo(1);
  EXPECT_EQ(log.committed(), 3u);
}

TEST_F(RaftLogTest, MaybeCommitRequiresMatchingTerm) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 2}));
  EXPECT_FALSE(log.MaybeCommit(1, 2));
  EXPECT_TRUE(log.MaybeCommit(2, 2));
}

TEST_F(RaftLogTest, FindConflictByTermSkipsWholeTerms) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1, 4, 4, 4, 5}));
  EXPECT_EQ(log.FindConflictByTerm(6, 3), (std::pair<uint64_t, uint64_t>{2, 1}));
  EXPECT_EQ(log.FindConflictByTerm(6, 4), (std::pair<uint64_t, uint64_t>{5, 4}));
  EXPECT_EQ(log.FindConflictByTerm(6, 0), (std::pair<uint64_t, uint64_t>{0, 0}));
}

TEST_F(RaftLogTest, IsUpToDateComparesLastTermThenLength) {
  // Raft paper section 5.4.1.
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 2, 2}));
  EXPECT_TRUE(log.IsUpToDate(1, 3));
  EXPECT_TRUE(log.IsUpToDate(3, 2));
  EXPECT_FALSE(log.IsUpToDate(2, 2));
  EXPECT_FALSE(log.IsUpToDate(9, 1));
}

TEST_F(RaftLogTest, UnstableEntriesAreHandedOutOnce) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1}));
  EXPECT_EQ(log.TakeUnstableEntries().size(), 2u);
  EXPECT_TRUE(log.TakeUnstableEntries().empty());
  log.Append(Terms(3, {1}));
  EXPECT_EQ(log.TakeUnstableEntries().size(), 1u);
}

TEST_F(RaftLogTest, StableToMovesEntriesToStorage) {
  RaftLog log(&storage_);
  std::vector<Entry> entries = Terms(1, {1, 1});
  log.Append(entries);
  EXPECT_EQ(log.PersistedIndex(), 0u);
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(2, 1);
  EXPECT_EQ(log.PersistedIndex(), 2u);
  EXPECT_EQ(log.TermOrZero(2), 1u);
}

// A proposal built in place over a persisted entry's spare: nothing of the
// old entry (its type, its data) shows through. Without an entry cache the
// spare still holds the persisted entry; with one, the cache's old slot.
TEST_F(RaftLogTest, AppendNormalReusesNoneOfAPersistedEntry) {
  for (const uint64_t cache_bytes : {kDefaultMaxEntryCacheBytes, uint64_t{0}}) {
    SCOPED_TRACE(cache_bytes);
    MemoryLogStorage storage(MakeConfState({1}));
    RaftLog log(&storage, cache_bytes);
    Entry conf = MakeEntry(1, 1, "old configuration");
    conf.set_type(ENTRY_CONF_CHANGE);
    log.Append({conf});
    storage.Append(log.TakeUnstableEntries());
    log.StableTo(1, 1);
    EXPECT_EQ(log.AppendNormal(2, "new"), 2u);
    const std::vector<Entry> unstable = log.TakeUnstableEntries();
    ASSERT_EQ(unstable.size(), 1u);
    EXPECT_EQ(unstable[0].SerializeAsString(), MakeEntry(2, 2, "new").SerializeAsString());
  }
}

// The same over a spare that still holds the persisted entry (no entry
// cache takes it) with an unknown field, as a decoded entry may: AppendNormal
// sets every field over a spare rather than clearing it first, so the
// unknown field must not show through either.
TEST_F(RaftLogTest, AppendNormalOverAStaleSpareWithUnknownFields) {
  RaftLog log(&storage_, /*max_entry_cache_bytes=*/0);
  Entry conf = MakeEntry(1, 1, "old configuration");
  conf.set_type(ENTRY_CONF_CHANGE);
  std::string bytes = conf.SerializeAsString();
  bytes += std::string("\x28\x07", 2);  // Field 5, varint 7: unknown to raft::Entry.
  Entry decoded;
  ASSERT_TRUE(decoded.ParseFromString(bytes));
  log.Append({decoded});
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(1, 1);
  EXPECT_EQ(log.AppendNormal(2, "new"), 2u);
  const std::vector<Entry> unstable = log.TakeUnstableEntries();
  ASSERT_EQ(unstable.size(), 1u);
  EXPECT_EQ(unstable[0].SerializeAsString(), MakeEntry(2, 2, "new").SerializeAsString());
  EXPECT_EQ(log.TermOrZero(2), 2u);
}

TEST_F(RaftLogTest, StableToIgnoresReplacedEntries) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1}));
  storage_.Append(log.TakeUnstableEntries());
  log.Append(Terms(2, {2}));
  log.StableTo(2, 1);
  EXPECT_EQ(log.PersistedIndex(), 0u);
  EXPECT_EQ(log.TakeUnstableEntries().size(), 1u);
}

TEST_F(RaftLogTest, CommittedEntriesWaitForLocalPersistence) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1}));
  log.CommitTo(2);
  EXPECT_TRUE(log.TakeCommittedEntries(0).empty());
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(2, 1);
  EXPECT_EQ(log.TakeCommittedEntries(0).size(), 2u);
}

TEST_F(RaftLogTest, TakeCommittedEntriesIntoReplacesWhatTheBufferHeld) {
  RaftLog log(&storage_);
  log.Append({MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")});
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(2, 1);
  log.CommitTo(2);
  std::vector<Entry> out = {MakeEntry(7, 3, "old-x"), MakeEntry(8, 3, "old-y"),
                            MakeEntry(9, 3, "old-z")};
  log.TakeCommittedEntriesInto(0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].data(), "a");
  EXPECT_EQ(out[1].index(), 2u);
  // All handed out: the buffer is emptied, not left stale.
  log.TakeCommittedEntriesInto(0, out);
  EXPECT_TRUE(out.empty());
}

TEST_F(RaftLogTest, SliceRespectsByteLimitButReturnsOneEntry) {
  RaftLog log(&storage_);
  log.Append({MakeEntry(1, 1, "aaaa"), MakeEntry(2, 1, "bbbb"),
              MakeEntry(3, 1, "cccc")});
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(1, 1);
  EXPECT_EQ(log.Slice(1, 4, 8)->size(), 2u);
  EXPECT_EQ(log.Slice(1, 4, 1)->size(), 1u);
  EXPECT_EQ(log.Slice(1, 4, 0)->size(), 3u);
}

// Slices into one reused message, as a leader sends a lagging follower one
// MSG_APP after another: the stored entries read for one slice must not
// leak into the next (SliceTo swaps them in from a reused buffer).
TEST_F(RaftLogTest, SliceIntoAReusedMessageGivesExactlyTheSlice) {
  RaftLog log(&storage_);
  const std::vector<Entry> entries = {MakeEntry(1, 1, "aaaa"), MakeEntry(2, 1, "bb"),
                                      MakeEntry(3, 2, ""), MakeEntry(4, 2, "dddddd")};
  log.Append({entries[0], entries[1], entries[2]});
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(3, 2);
  log.Append({entries[3]});  // Unstable: the slice's tail comes from memory.
  Message message;
  const struct {
    uint64_t lo;
    uint64_t hi;
    uint64_t max_bytes;
    size_t count;
  } slices[] = {{1, 5, 0, 4}, {2, 5, 0, 3}, {1, 3, 0, 2}, {3, 5, 0, 2}, {1, 5, 4, 1}, {2, 4, 0, 2}};
  for (const auto& slice : slices) {
    message.Clear();
    ASSERT_TRUE(log.SliceInto(slice.lo, slice.hi, slice.max_bytes, *message.mutable_entries()).ok());
    ASSERT_EQ(message.entries_size(), static_cast<int>(slice.count)) << slice.lo << ".." << slice.hi;
    for (size_t i = 0; i < slice.count; ++i) {
      EXPECT_EQ(message.entries(static_cast<int>(i)).SerializeAsString(),
                entries[slice.lo - 1 + i].SerializeAsString())
          << slice.lo << ".." << slice.hi << " #" << i;
    }
  }
}

TEST_F(RaftLogTest, SliceBelowSnapshotIsOutOfRange) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1, 1}));
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(3, 1);
  ASSERT_TRUE(storage_.CreateSnapshot(2, MakeConfState({1}), "x").ok());
  ASSERT_TRUE(storage_.Compact(2).ok());
  EXPECT_EQ(log.Slice(1, 3, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log.Slice(3, 4, 0)->size(), 1u);
}

TEST_F(RaftLogTest, RestoreReplacesTheLog) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1}));
  Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(10);
  snapshot.mutable_metadata()->set_term(3);
  log.Restore(snapshot);
  EXPECT_EQ(log.LastIndex(), 10u);
  EXPECT_EQ(log.committed(), 10u);
  EXPECT_EQ(log.FirstIndex(), 11u);
  EXPECT_TRUE(log.TakeUnstableSnapshot().has_value());
  log.StableSnapshotTo(10);
  EXPECT_EQ(log.applied(), 10u);
}

TEST(MemoryLogStorageTest, CompactKeepsTermOfCompactedIndex) {
  MemoryLogStorage storage(MakeConfState({1}));
  storage.Append(Terms(1, {1, 2, 3}));
  ASSERT_TRUE(storage.CreateSnapshot(2, MakeConfState({1}), "state").ok());
  ASSERT_TRUE(storage.Compact(2).ok());
  EXPECT_EQ(storage.FirstIndex(), 3u);
  EXPECT_EQ(*storage.Term(2), 2u);
  EXPECT_EQ(storage.Term(1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(MemoryLogStorageTest, SnapshotChunksCoverTheData) {
  MemoryLogStorage storage(MakeConfState({1}));
  storage.Append(Terms(1, {1}));
  ASSERT_TRUE(storage.CreateSnapshot(1, MakeConfState({1}), "abcdefg").ok());
  EXPECT_EQ(*storage.SnapshotChunk(1, 0, 3), "abc");
  EXPECT_EQ(*storage.SnapshotChunk(1, 6, 3), "g");
  EXPECT_EQ(storage.SnapshotChunk(2, 0, 3).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MemoryLogStorageTest, CompactBeyondSnapshotFails) {
  MemoryLogStorage storage(MakeConfState({1}));
  storage.Append(Terms(1, {1, 1}));
  EXPECT_EQ(storage.Compact(1).code(), absl::StatusCode::kFailedPrecondition);
}


// Forwards to a MemoryLogStorage and counts the Term() calls that reach it.
class TermCountingStorage final : public testing::ForwardingLogStorage {
 public:
  using ForwardingLogStorage::ForwardingLogStorage;
  absl::StatusOr<uint64_t> Term(uint64_t index) const override {
    ++term_calls;
    return ForwardingLogStorage::Term(index);
  }

  mutable int term_calls = 0;
};

// The term of the entry StableTo made the last stable one is answered
// without asking storage; earlier stable entries are asked of it.
TEST_F(RaftLogTest, LastStableTermIsKnownWithoutStorage) {
  TermCountingStorage counting(storage_);
  RaftLog log(&counting);
  log.Append(Terms(1, {1, 1, 2}));
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(3, 2);
  const int calls = counting.term_calls;
  EXPECT_EQ(log.TermOrZero(3), 2u);
  EXPECT_TRUE(log.MatchTerm(3, 2));
  EXPECT_EQ(counting.term_calls, calls);
  EXPECT_EQ(log.TermOrZero(2), 1u);
  EXPECT_EQ(counting.term_calls, calls + 1);
  log.CheckInvariants();
}

// A stable suffix replaced by a new leader's entries is looked up in the
// unstable entries, and once those are stable, their term is the one known.
TEST_F(RaftLogTest, ReplacedStableSuffixGetsItsNewTerm) {
  TermCountingStorage counting(storage_);
  RaftLog log(&counting);
  log.Append(Terms(1, {1, 1, 1}));
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(3, 1);
  ASSERT_EQ(log.TermOrZero(3), 1u);
  ASSERT_TRUE(log.MaybeAppend(1, 1, 0, AsRepeated(Terms(2, {2, 2}))).has_value());
  EXPECT_EQ(log.PersistedIndex(), 1u);
  EXPECT_EQ(log.TermOrZero(3), 2u);
  EXPECT_EQ(log.TermOrZero(1), 1u);
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(3, 2);
  const int calls = counting.term_calls;
  EXPECT_EQ(log.TermOrZero(3), 2u);
  EXPECT_EQ(counting.term_calls, calls);
  EXPECT_EQ(log.TermOrZero(2), 2u);
  log.CheckInvariants();
}

// Once a snapshot replaces the log, the last stable entry before it is not
// known any more: its term is refused as below the pending snapshot.
TEST_F(RaftLogTest, RestoreForgetsTheLastStableTerm) {
  RaftLog log(&storage_);
  log.Append(Terms(1, {1, 1}));
  storage_.Append(log.TakeUnstableEntries());
  log.StableTo(2, 1);
  Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(10);
  snapshot.mutable_metadata()->set_term(3);
  log.Restore(snapshot);
  EXPECT_FALSE(log.Term(2).ok());
  EXPECT_EQ(*log.Term(10), 3u);
}

// Forwards to a MemoryLogStorage and counts the entry reads that reach it.
class ReadCountingStorage final : public testing::ForwardingLogStorage {
 public:
  using ForwardingLogStorage::ForwardingLogStorage;
  absl::StatusOr<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                             uint64_t max_bytes) const override {
    ++reads;
    return ForwardingLogStorage::Entries(lo, hi, max_bytes);
  }

  mutable int reads = 0;
};

std::vector<std::string> Data(const std::vector<Entry>& entries) {
  std::vector<std::string> data;
  for (const Entry& entry : entries) data.push_back(entry.data());
  return data;
}

// What a host does with a Ready's entries: writes them, then acknowledges.
void Persist(RaftLog& log, MemoryLogStorage& storage) {
  std::vector<Entry> entries = log.TakeUnstableEntries();
  ASSERT_FALSE(entries.empty());
  const uint64_t index = entries.back().index();
  const uint64_t term = entries.back().term();
  storage.Append(std::move(entries));
  log.StableTo(index, term);
}

// Entries persisted and then committed are handed out from memory: storage
// is not read.
TEST_F(RaftLogTest, CommittedEntriesComeFromTheEntryCache) {
  ReadCountingStorage counting(storage_);
  RaftLog log(&counting);
  log.Append({MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")});
  Persist(log, storage_);
  EXPECT_EQ(log.entry_cache().size(), 2u);
  log.CommitTo(2);
  std::vector<Entry> out = {MakeEntry(7, 3, "old")};
  log.TakeCommittedEntriesInto(0, out);
  EXPECT_EQ(Data(out), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(out[1].index(), 2u);
  EXPECT_EQ(counting.reads, 0);
  EXPECT_TRUE(log.entry_cache().empty());
  log.CheckInvariants();
  // The next ones too, in batches as committed.
  log.AppendNormal(1, "c");
  log.AppendNormal(1, "d");
  Persist(log, storage_);
  log.CommitTo(3);
  log.TakeCommittedEntriesInto(0, out);
  EXPECT_EQ(Data(out), (std::vector<std::string>{"c"}));
  log.CommitTo(4);
  log.TakeCommittedEntriesInto(0, out);
  EXPECT_EQ(Data(out), (std::vector<std::string>{"d"}));
  EXPECT_EQ(counting.reads, 0);
  log.CheckInvariants();
}

// Without the cache (a zero bound) or after a restart (a new log over the
// same storage: the cache starts empty), committed entries are read from
// storage, the same entries.
TEST_F(RaftLogTest, CommittedEntriesNotCachedAreReadFromStorage) {
  {
    ReadCountingStorage counting(storage_);
    RaftLog log(&counting, /*max_entry_cache_bytes=*/0);
    log.Append({MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")});
    Persist(log, storage_);
    EXPECT_TRUE(log.entry_cache().empty());
    log.CommitTo(1);
    EXPECT_EQ(Data(log.TakeCommittedEntries(0)), (std::vector<std::string>{"a"}));
    EXPECT_EQ(counting.reads, 1);
  }
  ReadCountingStorage counting(storage_);
  RaftLog restarted(&counting);
  restarted.CommitTo(2);
  EXPECT_EQ(Data(restarted.TakeCommittedEntries(0)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(counting.reads, 1);
  // Entries persisted after the restart come from the cache.
  restarted.AppendNormal(2, "c");
  Persist(restarted, storage_);
  restarted.CommitTo(3);
  EXPECT_EQ(Data(restarted.TakeCommittedEntries(0)), (std::vector<std::string>{"c"}));
  EXPECT_EQ(counting.reads, 1);
  restarted.CheckInvariants();
}

// A conflicting append replaces persisted (cached, uncommitted) entries:
// what is handed out and sliced afterwards is the new entries, never the
// cached copies of the replaced ones.
TEST_F(RaftLogTest, TheCacheNeverServesEntriesAConflictingAppendReplaced) {
  RaftLog log(&storage_);
  log.Append({MakeEntry(1, 1, "a"), MakeEntry(2, 1, "old-b"), MakeEntry(3, 1, "old-c")});
  Persist(log, storage_);
  ASSERT_EQ(log.entry_cache().size(), 3u);
  // A new leader's entries replace 2 and 3 and add 4, and commit 2.
  ASSERT_TRUE(log.MaybeAppend(1, 1, 2,
                              AsRepeated({MakeEntry(2, 2, "new-b"), MakeEntry(3, 2, "new-c"),
                                          MakeEntry(4, 2, "new-d")}))
                  .has_value());
  EXPECT_EQ(log.entry_cache().size(), 1u);
  log.CheckInvariants();
  // Slices over the replaced range see the new entries (unstable for now).
  absl::StatusOr<std::vector<Entry>> slice = log.Slice(1, 5, 0);
  ASSERT_TRUE(slice.ok());
  EXPECT_EQ(Data(*slice), (std::vector<std::string>{"a", "new-b", "new-c", "new-d"}));
  // Entry 1 alone is persisted and committed.
  EXPECT_EQ(Data(log.TakeCommittedEntries(0)), (std::vector<std::string>{"a"}));
  Persist(log, storage_);
  log.CheckInvariants();
  log.CommitTo(4);
  EXPECT_EQ(Data(log.TakeCommittedEntries(0)),
            (std::vector<std::string>{"new-b", "new-c", "new-d"}));
}

// The same when the replaced entries are persisted in pieces: each piece
// follows the entries kept before it.
TEST_F(RaftLogTest, ATruncatedCacheTakesTheReplacementsThatFollowIt) {
  ReadCountingStorage counting(storage_);
  RaftLog log(&counting);
  log.Append({MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b"), MakeEntry(3, 1, "old-c"),
              MakeEntry(4, 1, "old-d")});
  Persist(log, storage_);
  ASSERT_TRUE(log.MaybeAppend(2, 1, 0, AsRepeated({MakeEntry(3, 2, "new-c")})).has_value());
  Persist(log, storage_);
  log.CheckInvariants();
  log.CommitTo(3);
  EXPECT_EQ(Data(log.TakeCommittedEntries(0)), (std::vector<std::string>{"a", "b", "new-c"}));
  EXPECT_EQ(counting.reads, 0);
}

// A snapshot replaces the log: the cache is emptied, and entries after the
// snapshot are cached again once persisted.
TEST_F(RaftLogTest, RestoreEmptiesTheEntryCache) {
  ReadCountingStorage counting(storage_);
  RaftLog log(&counting);
  log.Append({MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")});
  Persist(log, storage_);
  Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(10);
  snapshot.mutable_metadata()->set_term(3);
  *snapshot.mutable_metadata()->mutable_conf_state() = MakeConfState({1});
  log.Restore(snapshot);
  EXPECT_TRUE(log.entry_cache().empty());
  ASSERT_TRUE(storage_.ApplySnapshot(*log.TakeUnstableSnapshot()).ok());
  log.StableSnapshotTo(10);
  log.CheckInvariants();
  log.AppendNormal(3, "k");
  Persist(log, storage_);
  log.CommitTo(11);
  EXPECT_EQ(Data(log.TakeCommittedEntries(0)), (std::vector<std::string>{"k"}));
  EXPECT_EQ(counting.reads, 0);
}

// Past the byte bound the oldest are dropped and read from storage; the
// entries handed out are the same.
TEST_F(RaftLogTest, EntriesPastTheCacheBoundAreReadFromStorage) {
  ReadCountingStorage counting(storage_);
  const uint64_t bound = 8 + 2 * RaftLogEntryCache::kEntryOverheadBytes;
  RaftLog log(&counting, bound);
  log.Append({MakeEntry(1, 1, "aaaa"), MakeEntry(2, 1, "bbbb"), MakeEntry(3, 1, "cccc")});
  Persist(log, storage_);
  EXPECT_EQ(log.entry_cache().first_index(), 2u);
  EXPECT_LE(log.entry_cache().bytes(), bound);
  log.CheckInvariants();
  log.CommitTo(3);
  EXPECT_EQ(Data(log.TakeCommittedEntries(0)), (std::vector<std::string>{"aaaa", "bbbb", "cccc"}));
  EXPECT_EQ(counting.reads, 1);
  EXPECT_TRUE(log.entry_cache().empty());
  log.CheckInvariants();
}

// A slice for a follower that lags behind the persisted index copies the
// cached entries (they stay cached), with the byte limit storage applies.
TEST_F(RaftLogTest, SlicesOfCachedEntriesComeFromMemory) {
  ReadCountingStorage counting(storage_);
  RaftLog log(&counting);
  log.Append({MakeEntry(1, 1, "aaaa"), MakeEntry(2, 1, "bbbb"), MakeEntry(3, 1, "cccc")});
  Persist(log, storage_);
  log.AppendNormal(1, "dddd");
  for (uint64_t max_bytes : {0, 1, 4, 8, 12, 16}) {
    absl::StatusOr<std::vector<Entry>> cached = log.Slice(1, 5, max_bytes);
    ASSERT_TRUE(cached.ok());
    RaftLog uncached(&storage_, /*max_entry_cache_bytes=*/0);
    uncached.Append({MakeEntry(4, 1, "dddd")});
    absl::StatusOr<std::vector<Entry>> read = uncached.Slice(1, 5, max_bytes);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(Data(*cached), Data(*read)) << max_bytes;
  }
  EXPECT_EQ(counting.reads, 0);
  EXPECT_EQ(log.entry_cache().size(), 3u);
}

}  // namespace
}  // namespace kv::raft
