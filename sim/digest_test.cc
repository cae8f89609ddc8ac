#include "sim/digest.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

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
