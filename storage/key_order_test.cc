// SortByKey must give exactly std::string's order, whatever the keys: short
// and long, sharing long prefixes, holding zero bytes, or one the prefix of
// another.

#include "storage/key_order.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"

namespace kv::storage {
namespace {

// Keys over a few bytes (zero and 0xff among them, where signed and
// unsigned orders differ), of lengths around the 16 bytes SortByKey loads,
// and often extending one another.
rc::Gen<std::string> ArbitraryKey() {
  const auto byte = rc::gen::element<char>('\0', 'a', 'b', static_cast<char>(0x7f), static_cast<char>(0x80),
                                           static_cast<char>(0xff));
  return rc::gen::mapcat(rc::gen::inRange<size_t>(0, 40), [byte](size_t size) {
    return rc::gen::container<std::string>(size, byte);
  });
}

RC_GTEST_PROP(KeyOrderProperty, SortsAsStdStringOrder, ()) {
  std::vector<std::string> keys = *rc::gen::container<std::vector<std::string>>(ArbitraryKey());
  // Some keys extend others, with and without zero bytes.
  const size_t extended = keys.size();
  for (size_t i = 0; i < extended; i += 3) {
    keys.push_back(keys[i] + *rc::gen::element<std::string>(std::string(1, '\0'), "a", std::string(20, '\0')));
  }
  std::vector<const std::string*> sorted;
  for (const std::string& key : keys) sorted.push_back(&key);
  SortByKey(sorted, [](const std::string* key) { return absl::string_view(*key); });
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());
  RC_ASSERT(sorted.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) RC_ASSERT(*sorted[i] == expected[i]);
}

TEST(KeyOrderTest, PrefixesAndZeroBytesOrderAsStrings) {
  const std::string zero(1, '\0');
  std::vector<std::string> keys = {"b", "a" + zero, "a", "", "aaaaaaaaaaaaaaaaz",
                                   "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa" + zero, "\xff", "\x7f"};
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());
  std::vector<const std::string*> sorted;
  for (const std::string& key : keys) sorted.push_back(&key);
  SortByKey(sorted, [](const std::string* key) { return absl::string_view(*key); });
  ASSERT_EQ(sorted.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(*sorted[i], expected[i]) << i;
}

}  // namespace
}  // namespace kv::storage
