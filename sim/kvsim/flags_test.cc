#include "sim/kvsim/flags.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

TEST(FlagsTest, ParsesBothValueSpellingsAndBooleans) {
  auto flags = Flags::Parse({"--seed", "5", "--nodes=3", "--quiet"}, {"seed", "nodes"}, {"quiet"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(*flags->GetUint("seed", 0), 5u);
  EXPECT_EQ(*flags->GetUint("nodes", 0), 3u);
  EXPECT_TRUE(flags->Has("quiet"));
  EXPECT_EQ(*flags->GetUint("absent", 9), 9u);
}

TEST(FlagsTest, RejectsUnknownMissingAndStrayArguments) {
  EXPECT_NE(Flags::Parse({"--sed", "5"}, {"seed"}, {}).status().message().find("unknown flag --sed"),
            absl::string_view::npos);
  EXPECT_NE(Flags::Parse({"--seed"}, {"seed"}, {}).status().message().find("needs a value"),
            absl::string_view::npos);
  EXPECT_NE(Flags::Parse({"5"}, {"seed"}, {}).status().message().find("unexpected argument"),
            absl::string_view::npos);
  EXPECT_FALSE(Flags::Parse({"--quiet=yes"}, {}, {"quiet"}).ok());
  EXPECT_EQ(Flags::Parse({"--seed", "1", "--seed=2"}, {"seed"}, {}).status().message(), "flag --seed given twice");
  EXPECT_TRUE(Flags::Parse({"--quiet", "--quiet"}, {}, {"quiet"}).ok());  // Says the same thing twice.
}

TEST(FlagsTest, AnOutputFileIsCheckedWritableWithoutLosingItsContent) {
  const std::string path = ::testing::TempDir() + "/flags_test_output";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("kept", f);
  std::fclose(f);
  EXPECT_TRUE(CheckOutputFile("out", path).ok());
  f = std::fopen(path.c_str(), "rb");
  char text[8] = {};
  ASSERT_EQ(std::fread(text, 1, sizeof(text), f), 4u);
  std::fclose(f);
  EXPECT_STREQ(text, "kept");
  std::remove(path.c_str());
  EXPECT_EQ(CheckOutputFile("trail", "/nonexistent-dir/x").message(),
            "--trail /nonexistent-dir/x: cannot write: No such file or directory");
  EXPECT_EQ(CheckOutputFile("trail", ::testing::TempDir()).message(),
            "--trail " + ::testing::TempDir() + ": cannot write: Is a directory");
}

TEST(FlagsTest, RejectsNonNumericAndNegativeIntegers) {
  for (const char* bad : {"abc", "-3", "12x", "+4"}) {
    auto flags = Flags::Parse({"--seed", bad}, {"seed"}, {});
    ASSERT_TRUE(flags.ok());
    EXPECT_FALSE(flags->GetUint("seed", 0).ok()) << bad;
  }
}

TEST(FlagsTest, SeedRanges) {
  auto parse = [](const char* text) {
    return Flags::Parse({"--seeds", text}, {"seeds"}, {})->GetSeedRange("seeds");
  };
  EXPECT_EQ(*parse("3..9"), (std::pair<uint64_t, uint64_t>{3, 9}));
  EXPECT_EQ(*parse("4"), (std::pair<uint64_t, uint64_t>{4, 4}));
  EXPECT_FALSE(parse("9..3").ok());
  EXPECT_FALSE(parse("a..b").ok());
  EXPECT_FALSE(parse("1..").ok());
  EXPECT_FALSE(parse("-1..4").ok());
  EXPECT_FALSE(parse("1..-4").ok());
}

}  // namespace
}  // namespace kv::sim
