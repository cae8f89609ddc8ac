#include "sim/cluster/kv_key_names.h"

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

TEST(KvKeyNamesTest, NamesEveryClientsKeysByOwnerAndIndex) {
  const KvKeyNames names(12, 3);
  EXPECT_EQ(names.Name(0, 0), "k0-0");
  EXPECT_EQ(names.Name(0, 2), "k0-2");
  EXPECT_EQ(names.Name(1, 0), "k1-0");
  EXPECT_EQ(names.Name(11, 2), "k11-2");
  EXPECT_EQ(names.client_count(), 12);
  EXPECT_EQ(names.keys_per_client(), 3);
}

TEST(KvKeyNamesTest, ANameStaysWhereItIs) {
  const KvKeyNames names(2, 2);
  const std::string* first = &names.Name(1, 1);
  EXPECT_EQ(names.Name(0, 1), "k0-1");
  EXPECT_EQ(&names.Name(1, 1), first);
}

TEST(KvKeyNamesTest, AnEmptyTableHasNoNames) {
  const KvKeyNames names(0, 4);
  EXPECT_EQ(names.client_count(), 0);
}

}  // namespace
}  // namespace kv::sim
