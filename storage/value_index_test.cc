#include "storage/value_index.h"

#include <string>

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
