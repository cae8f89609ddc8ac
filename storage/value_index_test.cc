#include "storage/value_index.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"

namespace kv::storage {
namespace {

// Every length up to past the memcmp cut-over, with each single byte
// changed in turn: the loads must cover every position, including the
// middle of 1-3 byte keys and the overlap of the 4- and 8-byte halves.
TEST(SameBytesTest, FindsADifferenceAtEveryPosition) {
  for (size_t size = 0; size <= 40; ++size) {
    std::string a(size, 'k');
    for (size_t i = 0; i < size; ++i) a[i] = static_cast<char>('a' + i % 26);
    const std::string same = a;  // Another buffer, same bytes.
    EXPECT_TRUE(SameBytes(a, same)) << "size " << size;
    for (size_t i = 0; i < size; ++i) {
      std::string other = a;
      other[i] = static_cast<char>(other[i] ^ 0x01);
      EXPECT_FALSE(SameBytes(a, other)) << "size " << size << ", byte " << i;
      EXPECT_FALSE(SameBytes(other, a)) << "size " << size << ", byte " << i;
    }
  }
}

TEST(SameBytesTest, DifferentSizesDiffer) {
  EXPECT_FALSE(SameBytes("", "a"));
  EXPECT_FALSE(SameBytes("abcdefgh", "abcdefghi"));
  // A prefix of the same bytes, read from the same buffer.
  const absl::string_view key = "s0123456789";
  EXPECT_FALSE(SameBytes(key.substr(0, 9), key));
}

RC_GTEST_PROP(SameBytesTest, AgreesWithStringEquality, (const std::string& a, const std::string& b)) {
  RC_ASSERT(SameBytes(a, b) == (a == b));
  RC_ASSERT(SameBytes(a, a.substr(0)));
}

// As for SameBytes: a hash that skipped a byte (the middle of a 1-3 byte
// key, the overlap of the two words) would map such keys together.
TEST(ValueKeyHashTest, ChangesWithEveryByte) {
  for (size_t size = 0; size <= 40; ++size) {
    std::string a(size, 'k');
    for (size_t i = 0; i < size; ++i) a[i] = static_cast<char>('a' + i % 26);
    const std::string same = a;
    EXPECT_EQ(ValueKeyHash64(a), ValueKeyHash64(same)) << "size " << size;
    for (size_t i = 0; i < size; ++i) {
      std::string other = a;
      other[i] = static_cast<char>(other[i] ^ 0x01);
      EXPECT_NE(ValueKeyHash64(a), ValueKeyHash64(other)) << "size " << size << ", byte " << i;
    }
  }
}

TEST(ValueKeyHashTest, SizeMatters) {
  // Keys whose two words are the same at two sizes: only the size tells
  // them apart.
  EXPECT_NE(ValueKeyHash64(std::string(4, '\0')), ValueKeyHash64(std::string(5, '\0')));
  EXPECT_NE(ValueKeyHash64(""), ValueKeyHash64(std::string(1, '\0')));
  EXPECT_NE(ValueKeyHash64("abcdabcd"), ValueKeyHash64("abcdabcdabcd"));
}

// The hash map takes its control bytes from the low 7 bits and its probe
// start from the bits above: both must spread the keys the simulator
// stores, which share most of their bytes ("dk<client>-<key>" and "s" with
// a big-endian client id). 4096 keys over 128 control values, and over
// 1024 probe starts (expect ~1005 of them hit, by the balls-in-bins count).
TEST(ValueKeyHashTest, SpreadsTheSimulatorsKeysOverLowAndHighBits) {
  std::vector<std::string> keys;
  for (int client = 0; client < 128; ++client) {
    for (int key = 0; key < 16; ++key) keys.push_back(absl::StrCat("dk", client, "-", key));
    for (int copy = 0; copy < 16; ++copy) {
      std::string session(9, '\0');
      session[0] = 's';
      const uint64_t id = static_cast<uint64_t>(client) * 16 + static_cast<uint64_t>(copy);
      for (int i = 0; i < 8; ++i) session[1 + i] = static_cast<char>(id >> (8 * (7 - i)));
      keys.push_back(session);
    }
  }
  ASSERT_EQ(keys.size(), 4096u);
  std::set<uint64_t> low;
  std::set<uint64_t> high;
  std::set<uint64_t> whole;
  for (const std::string& key : keys) {
    const uint64_t hash = ValueKeyHash64(key);
    low.insert(hash & 0x7f);
    high.insert((hash >> 7) & 1023);
    whole.insert(hash);
  }
  EXPECT_EQ(low.size(), 128u);
  EXPECT_GT(high.size(), 950u);
  EXPECT_EQ(whole.size(), keys.size());
}

TEST(ValueIndexTest, LooksUpByTheBytesOfAKeyFromAnyBuffer) {
  ValueIndex index;
  const std::string key = "dk12-3";
  auto [it, inserted] = index.try_emplace(absl::string_view(key), Span{13, 20});
  ASSERT_TRUE(inserted);
  const std::string copy(key.data(), key.size());
  auto found = index.find(absl::string_view(copy));
  ASSERT_NE(found, index.end());
  EXPECT_EQ(found->second.offset, 13u);
  EXPECT_EQ(found->second.length, 20u);
  EXPECT_EQ(index.find(absl::string_view("dk12-4")), index.end());
  EXPECT_EQ(ValueKeyHash()(key), ValueKeyHash()(copy));
  index.erase(found);
  EXPECT_TRUE(index.empty());
}

}  // namespace
}  // namespace kv::storage
