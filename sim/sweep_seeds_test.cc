#include "sim/sweep_seeds.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

TEST(SweepSeedsTest, ARangeIsAToBOrOneSeed) {
  using Range = std::pair<uint64_t, uint64_t>;
  EXPECT_EQ(*ParseSeedRange("seeds", "3..9"), (Range{3, 9}));
  EXPECT_EQ(*ParseSeedRange("seeds", "4"), (Range{4, 4}));
  EXPECT_EQ(*ParseSeedRange("seeds", "0..18446744073709551615"), (Range{0, UINT64_MAX}));
  for (const char* bad : {"", "..", "1..", "..4", "a..b", "-1..4", "1..-4", "+1..4", "1..+4", "1...4",
                          "18446744073709551616", "1..2..3"}) {
    absl::StatusOr<Range> range = ParseSeedRange("seeds", bad);
    ASSERT_FALSE(range.ok()) << bad;
    EXPECT_EQ(range.status().message(),
              std::string("flag --seeds wants A..B or A (non-negative integers), got '") + bad + "'");
  }
  absl::StatusOr<Range> empty = ParseSeedRange("seeds", "9..3");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "flag --seeds: range 9..3 is empty (9 > 3)");
}

TEST(SweepSeedsTest, ASliceTakesEveryNthSeedFromItsOffset) {
  EXPECT_EQ(*SweepSeeds(1, 10), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(*SweepSeeds(1, 10, 2, 3), (std::vector<uint64_t>{2, 5, 8}));
  EXPECT_EQ(*SweepSeeds(1, 10, 3, 3), (std::vector<uint64_t>{3, 6, 9}));
  EXPECT_EQ(*SweepSeeds(7, 7), (std::vector<uint64_t>{7}));
  EXPECT_TRUE(SweepSeeds(1, 4, 5, 8)->empty());  // More slices than seeds.
  // Against the definition, over small ranges and slicings.
  for (uint64_t first = 0; first < 5; ++first) {
    for (uint64_t last = first; last < first + 12; ++last) {
      for (uint64_t n = 1; n < 6; ++n) {
        for (uint64_t k = 1; k <= n; ++k) {
          std::vector<uint64_t> expected;
          for (uint64_t s = first; s <= last; ++s) {
            if ((s - first) % n == k - 1) expected.push_back(s);
          }
          EXPECT_EQ(*SweepSeeds(first, last, k, n), expected) << first << ".." << last << " " << k << "/" << n;
          EXPECT_EQ(static_cast<uint64_t>(SweepSeedCount(first, last, k, n)), expected.size());
        }
      }
    }
  }
}

TEST(SweepSeedsTest, TheWholeSeedSpaceIsCountedNotWalked) {
  // A thin slice of all 2^64 seeds holds a couple, found at once.
  EXPECT_EQ(*SweepSeeds(0, UINT64_MAX, 1, UINT64_MAX), (std::vector<uint64_t>{0, UINT64_MAX}));
  EXPECT_EQ(*SweepSeeds(0, UINT64_MAX, UINT64_MAX, UINT64_MAX), (std::vector<uint64_t>{UINT64_MAX - 1}));
  EXPECT_EQ(*SweepSeeds(UINT64_MAX - 2, UINT64_MAX), (std::vector<uint64_t>{UINT64_MAX - 2, UINT64_MAX - 1, UINT64_MAX}));
  EXPECT_TRUE(SweepSeedCount(0, UINT64_MAX, 1, 1) == static_cast<unsigned __int128>(UINT64_MAX) + 1);
  // Too many for one process: refused with the count, not allocated.
  const absl::Status all = SweepSeeds(0, UINT64_MAX).status();
  EXPECT_EQ(all.message(),
            "seeds 0..18446744073709551615 number 18446744073709551616; one process runs at most 10000000: "
            "split the range");
  EXPECT_NE(SweepSeeds(1, 100'000'000, 2, 8).status().message().find("in slice 2/8 number 12500000;"),
            std::string::npos);
  EXPECT_TRUE(SweepSeeds(1, kMaxSweepSeeds).ok());
  EXPECT_FALSE(SweepSeeds(1, kMaxSweepSeeds + 1).ok());
}

TEST(SweepSeedsTest, ASampleSpreadsOverTheRange) {
  EXPECT_EQ(*SampleSeeds(1, 100, 4), (std::vector<uint64_t>{1, 26, 51, 76}));
  EXPECT_EQ(*SampleSeeds(1, 3, 0), (std::vector<uint64_t>{1, 2, 3}));  // 0: every seed.
  EXPECT_EQ(*SampleSeeds(1, 3, 10), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(*SampleSeeds(0, UINT64_MAX, 2), (std::vector<uint64_t>{0, uint64_t{1} << 63}));
  EXPECT_FALSE(SampleSeeds(0, UINT64_MAX, 0).ok());
  EXPECT_FALSE(SampleSeeds(0, UINT64_MAX, kMaxSweepSeeds + 1).ok());
}

}  // namespace
}  // namespace kv::sim
