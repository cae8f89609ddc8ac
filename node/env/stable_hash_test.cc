#include "node/env/stable_hash.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "node/env/random.h"

namespace kv::env {
namespace {

// The formula as first written (tail bytes copied with one variable-length
// memcpy). Every recorded run depends on the hash values, so the one-load
// and piecewise tail reads must give exactly these.
uint64_t ReferenceStableHash64(const std::string& bytes, uint64_t seed) {
  uint64_t h = 0x243f6a8885a308d3ULL ^ seed ^ (bytes.size() * 0x9e3779b97f4a7c15ULL);
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  if (n > 0) std::memcpy(&tail, p, n);
  return Mix64(h, tail);
}

TEST(StableHashTest, MatchesReferenceFormulaForEveryLength) {
  Random random(11);
  for (size_t length = 0; length <= 64; ++length) {
    for (int trial = 0; trial < 50; ++trial) {
      std::string bytes(length, '\0');
      for (char& c : bytes) c = static_cast<char>(random.Next64());
      const uint64_t seed = trial % 2 == 0 ? 0 : random.Next64();
      ASSERT_EQ(StableHash64(bytes, seed), ReferenceStableHash64(bytes, seed))
          << "length " << length << " trial " << trial;
    }
  }
}

// The tail of a long string is read as the last 8 bytes of the view: bytes
// after the view (or before a short one) must not leak into the hash.
TEST(StableHashTest, ReadsOnlyItsView) {
  const std::string buffer = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t length = 0; offset + length <= buffer.size(); ++length) {
      const absl::string_view view(buffer.data() + offset, length);
      ASSERT_EQ(StableHash64(view, 7), ReferenceStableHash64(std::string(view), 7))
          << "offset " << offset << " length " << length;
    }
  }
}

TEST(StableHashTest, EveryTailByteMatters) {
  for (size_t length = 1; length <= 15; ++length) {
    const std::string base(length, 'a');
    for (size_t i = 0; i < length; ++i) {
      std::string changed = base;
      changed[i] = 'b';
      EXPECT_NE(StableHash64(changed), StableHash64(base)) << "length " << length << " byte " << i;
    }
  }
}

}  // namespace
}  // namespace kv::env
