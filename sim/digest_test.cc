#include "sim/digest.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "node/env/random.h"
#include "node/env/stable_hash.h"

namespace kv::sim {
namespace {

// HashBytes is a faster computation of env::StableHash64; every run's
// digest depends on it through the delivery tags, so the two must agree on
// every length and every byte.
TEST(DigestTest, HashBytesEqualsStableHash64ForEveryLength) {
  env::Random random(29);
  for (size_t length = 0; length <= 80; ++length) {
    for (int trial = 0; trial < 200; ++trial) {
      std::string bytes(length, '\0');
      for (char& c : bytes) c = static_cast<char>(random.Next64());
      ASSERT_EQ(HashBytes(bytes), env::StableHash64(bytes)) << "length " << length << " trial " << trial;
    }
  }
}

// The tail is read from inside a longer buffer: bytes after the view must
// not leak into the hash.
TEST(DigestTest, HashBytesReadsOnlyItsView) {
  const std::string buffer = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t length = 0; offset + length <= buffer.size(); ++length) {
      const absl::string_view view(buffer.data() + offset, length);
      ASSERT_EQ(HashBytes(view), env::StableHash64(view)) << "offset " << offset << " length " << length;
    }
  }
}

TEST(DigestTest, FoldIsOrderSensitive) {
  Digest a;
  a.Fold(1);
  a.Fold(2);
  Digest b;
  b.Fold(2);
  b.Fold(1);
  EXPECT_NE(a.value(), b.value());
}

}  // namespace
}  // namespace kv::sim
