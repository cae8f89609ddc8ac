#include "properties/kv_history.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace kv::properties {
namespace {

KvWrite W(const char* value, env::TimeNs call, env::TimeNs ret, KvOutcome outcome = KvOutcome::kApplied) {
  KvWrite w;
  if (value != nullptr) w.value = value;
  w.call_ns = call;
  w.return_ns = ret;
  w.outcome = outcome;
  return w;
}

KvRead R(const char* key, env::TimeNs call, env::TimeNs ret, const char* observed) {
  KvRead r;
  r.key = key;
  r.call_ns = call;
  r.return_ns = ret;
  if (observed != nullptr) r.observed = observed;
  return r;
}

TEST(KvHistoryTest, ReadOfLatestOrConcurrentWriteIsAccepted) {
  KvHistory h;
  h.RecordWrite("k", W("a", 0, 10));
  h.RecordWrite("k", W("b", 20, 30));
  h.RecordRead(R("k", 12, 18, "a"));   // After a, before b began.
  h.RecordRead(R("k", 25, 28, "a"));   // Concurrent with b: a or b.
  h.RecordRead(R("k", 25, 28, "b"));
  h.RecordRead(R("k", 5, 8, nullptr));  // Concurrent with a: absent or a.
  EXPECT_TRUE(h.CheckReads().empty());
}

// Writes whose returns are out of issue order (an owner with two writes in
// flight): a write acknowledged before a read began counts, though a write
// issued before it returned later.
TEST(KvHistoryTest, WritesReturnedOutOfOrderStillBoundReads) {
  KvHistory h;
  h.RecordWrite("k", W("a", 0, 10));
  h.RecordWrite("k", W("b", 5, 60));
  h.RecordWrite("k", W("c", 15, 20));
  h.RecordRead(R("k", 30, 35, "c"));  // c was acknowledged before the read.
  h.RecordRead(R("k", 30, 35, "a"));  // c was called after a returned: stale.
  const std::vector<std::string> failures = h.CheckReads();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("saw a,"), std::string::npos) << failures[0];
}

// Reads and writes recorded from the history's operations point at the
// operations' values: checked as recorded ones are, with a timed-out
// write's return time taken from the record, not the operation.
TEST(KvHistoryTest, ReadsAndWritesOfOperationsAreCheckedAsRecordedOnes) {
  KvHistory h;
  std::vector<Operation>& operations = h.operations();
  const KvHistory::KeyHandle k = h.HandleOf("k");
  operations.push_back(MakePut(0, "k", "a", 0, 10));
  h.RecordWriteOf(k, 0, 10, KvOutcome::kApplied);
  operations.push_back(TimedOut(MakePut(0, "k", "b", 20, 0)));
  h.RecordWriteOf(k, 1, 1000, KvOutcome::kIndeterminate);
  operations.push_back(MakeDelete(0, "k", 1100, 1200));
  h.RecordWriteOf(k, 2, 1200, KvOutcome::kApplied);
  operations.push_back(MakeGet(1, "k", "a", 12, 18));      // After a, before b began.
  h.RecordReadOf(k, 3);
  operations.push_back(MakeGet(1, "k", "b", 900, 950));    // b may have taken effect.
  h.RecordReadOf(k, 4);
  operations.push_back(MakeGet(1, "k", std::nullopt, 1300, 1310));  // After the delete.
  h.RecordReadOf(k, 5);
  EXPECT_EQ(h.write_count(), 3u);
  EXPECT_EQ(h.read_count(), 3u);
  EXPECT_EQ(h.operation_keys(), std::vector<KvHistory::KeyHandle>(6, k));
  EXPECT_TRUE(h.CheckReads().empty());
  operations.push_back(MakeGet(1, "k", "a", 1300, 1310));  // The delete was acknowledged.
  h.RecordReadOf(k, 6);
  const std::vector<std::string> failures = h.CheckReads();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0], "read of 'k' in [1300, 1310] saw a, but the last write applied before it began was <absent>");
  EXPECT_TRUE(h.CheckFinal({}).empty());
  EXPECT_EQ(h.CheckFinal({{"k", "b"}}).size(), 1u);  // b came before the acknowledged delete.
}

// As WritesReturnedOutOfOrderStillBoundReads, with the writes recorded by
// handle: the return times they are recorded with decide as by key.
TEST(KvHistoryTest, WritesRecordedByHandleAreCheckedAsRecordedOnes) {
  KvHistory h;
  const KvHistory::KeyHandle k = h.HandleOf("k");
  for (const KvWrite& w : {W("a", 0, 10), W("b", 5, 60), W("c", 15, 20)}) h.RecordWrite(k, w);
  EXPECT_EQ(h.write_count(), 3u);
  h.RecordRead(R("k", 30, 35, "c"));
  h.RecordRead(R("k", 30, 35, "a"));
  const std::vector<std::string> failures = h.CheckReads();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("saw a,"), std::string::npos) << failures[0];
}

// Writes recorded by handle, with handles taken for many keys in between
// (their records move as the list of keys grows) and one key that has a
// handle but no write: the writes land on their keys, and only keys with
// writes are listed or checked for durability.
TEST(KvHistoryTest, WritesAddedByHandleLandOnTheirKeys) {
  KvHistory h;
  const KvHistory::KeyHandle a = h.HandleOf("a");
  h.RecordWrite(a, W("a1", 5, 10));
  const KvHistory::KeyHandle unwritten = h.HandleOf("unwritten");
  for (int i = 0; i < 100; ++i) h.HandleOf(absl::StrCat("k", i));
  const KvHistory::KeyHandle b = h.HandleOf("b");
  EXPECT_EQ(h.HandleOf("a"), a);
  EXPECT_NE(unwritten, a);
  h.RecordWrite(b, W("b1", 15, 20));
  h.RecordWrite("a", W("a2", 25, 30));
  EXPECT_EQ(h.write_count(), 3u);
  EXPECT_EQ(h.keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(h.CheckFinal({{"a", "a2"}, {"b", "b1"}}).empty());
  EXPECT_EQ(h.CheckFinal({{"a", "a1"}, {"b", "b1"}}).size(), 1u);
  h.RecordRead(R("a", 12, 13, "a1"));
  h.RecordRead(R("b", 21, 22, "b1"));
  h.RecordRead(R("unwritten", 21, 22, nullptr));
  EXPECT_TRUE(h.CheckReads().empty());
  h.RecordRead(R("b", 21, 22, "a1"));
  EXPECT_EQ(h.CheckReads().size(), 1u);
}

// Reads of one key whose calls come in order (each a write or two after
// the last, found near where the last read's search ended) and far out of
// it (found by the binary search): each is judged against the write
// acknowledged last before its call.
TEST(KvHistoryTest, ReadsNearAndFarApartFindTheirLastWrite) {
  KvHistory h;
  for (int i = 0; i < 100; ++i) {
    h.RecordWrite("k", W(absl::StrCat("v", i).c_str(), i * 10, i * 10 + 5));
  }
  // A read called at i * 10 + 7 must see v<i> (v<i + 1> is called later).
  const auto read_at = [&h](int i, int seen) {
    h.RecordRead(R("k", i * 10 + 7, i * 10 + 8, absl::StrCat("v", seen).c_str()));
  };
  for (const int i : {0, 1, 2, 4, 5, 90, 91, 3, 60, 61, 63, 62, 99, 0}) read_at(i, i);
  EXPECT_TRUE(h.CheckReads().empty());
  read_at(50, 49);  // Stale: v50 was acknowledged before the call.
  read_at(51, 51);
  read_at(10, 9);   // Stale, far back.
  const std::vector<std::string> failures = h.CheckReads();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_NE(failures[0].find("saw v49,"), std::string::npos) << failures[0];
  EXPECT_NE(failures[1].find("saw v9,"), std::string::npos) << failures[1];
}

TEST(KvHistoryTest, StaleReadIsRejected) {
  KvHistory h;
  h.RecordWrite("k", W("a", 0, 10));
  h.RecordWrite("k", W("b", 20, 30));
  h.RecordRead(R("k", 40, 50, "a"));  // b completed before the read began.
  const auto failures = h.CheckReads();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("saw a"), std::string::npos) << failures[0];
}

TEST(KvHistoryTest, ReadOfAFutureOrUnwrittenValueIsRejected) {
  KvHistory h;
  h.RecordWrite("k", W("a", 0, 10));
  h.RecordWrite("k", W("b", 60, 70));
  h.RecordRead(R("k", 20, 30, "b"));     // b was called after the read returned.
  h.RecordRead(R("k", 20, 30, "ghost"));
  EXPECT_EQ(h.CheckReads().size(), 2u);
}

TEST(KvHistoryTest, IndeterminateWritesMayOrMayNotShow) {
  KvHistory h;
  h.RecordWrite("k", W("a", 0, 10));
  h.RecordWrite("k", W("b", 20, 1000, KvOutcome::kIndeterminate));
  h.RecordRead(R("k", 2000, 2010, "a"));
  h.RecordRead(R("k", 2000, 2010, "b"));
  EXPECT_TRUE(h.CheckReads().empty());
  EXPECT_TRUE(h.CheckFinal({{"k", "a"}}).empty());
  EXPECT_TRUE(h.CheckFinal({{"k", "b"}}).empty());
}

TEST(KvHistoryTest, LostAcknowledgedWriteFailsDurability) {
  KvHistory h;
  h.RecordWrite("k", W("a", 0, 10));
  h.RecordWrite("k", W("b", 20, 30));
  h.RecordWrite("j", W(nullptr, 0, 5));  // A delete.
  EXPECT_TRUE(h.CheckFinal({{"k", "b"}}).empty());
  EXPECT_EQ(h.CheckFinal({{"k", "a"}}).size(), 1u);
  EXPECT_EQ(h.CheckFinal({{"k", "b"}, {"j", "x"}}).size(), 1u);
}

TEST(KvHistoryTest, NotAppliedWritesNeverCount) {
  KvHistory h;
  h.RecordWrite("k", W("a", 0, 10));
  h.RecordWrite("k", W("b", 20, 30, KvOutcome::kNotApplied));  // A failed CAS.
  h.RecordRead(R("k", 40, 50, "b"));
  EXPECT_EQ(h.CheckReads().size(), 1u);
  EXPECT_EQ(h.CheckFinal({{"k", "b"}}).size(), 1u);
}

// Keys are hashed for lookups; what lists them must still be in key order.
TEST(KvHistoryTest, KeysAndDurabilityFailuresComeInKeyOrder) {
  KvHistory h;
  const std::vector<std::string> keys = {"k9", "k10", "a", "k1", "z", "k2", "b"};
  for (const std::string& key : keys) h.RecordWrite(key, W("v", 0, 10));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(h.keys(), sorted);
  const std::vector<std::string> failures = h.CheckFinal({});  // Every key lost its write.
  ASSERT_EQ(failures.size(), keys.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    EXPECT_NE(failures[i].find("key '" + sorted[i] + "'"), std::string::npos) << failures[i];
  }
}

}  // namespace
}  // namespace kv::properties
