#include "storage/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace kv::storage {
namespace {

TEST(Crc32cTest, MatchesRfc3720Vectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32cTest, ExtendEqualsWholeForEverySplit) {
  std::string data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  const uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    const absl::string_view view(data);
    EXPECT_EQ(Crc32cExtend(Crc32c(view.substr(0, split)), view.substr(split)), whole) << split;
  }
}

TEST(Crc32cTest, Of4BytesEqualsTheGeneralChecksum) {
  std::string data;
  for (int i = 0; i < 64; ++i) data.push_back(static_cast<char>(i * 97 + 3));
  for (size_t start = 0; start + 4 <= data.size(); ++start) {
    const absl::string_view four = absl::string_view(data).substr(start, 4);
    EXPECT_EQ(Crc32cOf4Bytes(four.data()), Crc32cExtendPortable(0, four)) << start;
  }
  EXPECT_EQ(Crc32cOf4Bytes("\xff\xff\xff\xff"), Crc32c(std::string(4, '\xff')));
}

TEST(Crc32cTest, PortableMatchesRfc3720Vectors) {
  EXPECT_EQ(Crc32cExtendPortable(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32cExtendPortable(0, std::string(32, '\xff')), 0x62A8AB43u);
}

// Crc32cExtend may use the CPU's crc32 instruction; it must agree with the
// portable loop for every length, alignment and starting CRC.
TEST(Crc32cTest, DispatchedEqualsPortable) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  const absl::string_view view(data);
  for (size_t start = 0; start < 9; ++start) {
    for (size_t length = 0; start + length <= data.size(); length += 1 + length / 8) {
      for (uint32_t seed : {0u, 0xE3069283u}) {
        EXPECT_EQ(Crc32cExtend(seed, view.substr(start, length)),
                  Crc32cExtendPortable(seed, view.substr(start, length)))
            << start << " " << length;
      }
    }
  }
}

TEST(Crc32cTest, MaskRoundTripsAndDiffers) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xffffffffu}) {
    EXPECT_EQ(UnmaskCrc(MaskCrc(crc)), crc);
    EXPECT_NE(MaskCrc(crc), crc);
  }
}

}  // namespace
}  // namespace kv::storage
