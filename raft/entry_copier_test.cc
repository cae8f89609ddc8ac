#include "raft/entry_copier.h"

#include <string>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "raft/every_field_for_test.h"

namespace kv::raft {
namespace {

// An entry with arbitrary fields, sometimes with an unknown field (as
// protobuf's parser keeps one read off the wire) or an empty data field.
Entry GenEntry() {
  Entry entry;
  entry.set_term(*rc::gen::arbitrary<uint64_t>());
  entry.set_index(*rc::gen::arbitrary<uint64_t>());
  entry.set_type(*rc::gen::element(ENTRY_NORMAL, ENTRY_CONF_CHANGE));
  if (*rc::gen::arbitrary<bool>()) {
    entry.set_data(*rc::gen::container<std::string>(*rc::gen::inRange(0, 100), rc::gen::arbitrary<char>()));
  }
  if (*rc::gen::inRange(0, 4) == 0) {
    Entry parsed;
    // Field 5, varint 7: unknown to raft::Entry.
    RC_ASSERT(parsed.ParseFromString(entry.SerializeAsString() + std::string("\x28\x07", 2)));
    return parsed;
  }
  return entry;
}

// The copy equals what Entry's own copy assignment gives, whatever `to`
// held before (stale fields, a longer string, unknown fields).
RC_GTEST_PROP(EntryCopierTest, CopiesAsCopyAssignmentDoes, ()) {
  const EntryCopier copier;
  const Entry from = GenEntry();
  Entry to = GenEntry();
  Entry expected = to;
  expected = from;
  copier.Copy(from, to);
  RC_ASSERT(to.SerializeAsString() == expected.SerializeAsString());
  RC_ASSERT(to.SerializeAsString() == from.SerializeAsString());
}

TEST(EntryCopierTest, KeepsTheDataStringsCapacity) {
  const EntryCopier copier;
  Entry to;
  to.set_data(std::string(200, 'x'));
  const size_t capacity = to.data().capacity();
  Entry from;
  from.set_index(3);
  from.set_data("short");
  copier.Copy(from, to);
  EXPECT_EQ(to.data(), "short");
  EXPECT_EQ(to.data().capacity(), capacity);
}

// Every field the proto declares is copied: one added later and not to the
// copier fails here.
TEST(EntryCopierTest, CopiesEveryDeclaredField) {
  Entry from;
  SetEveryScalarField(from);
  Entry to;
  EntryCopier().Copy(from, to);
  EXPECT_EQ(to.SerializeAsString(), from.SerializeAsString());
}

}  // namespace
}  // namespace kv::raft
