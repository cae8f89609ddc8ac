#include "raft/unknown_fields.h"

#include <string>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "raft/raft.pb.h"

namespace kv::raft {
namespace {

// Field 5, varint 7: unknown to raft::Entry.
const std::string kUnknownEntryField("\x28\x07", 2);

bool ReflectionSaysSo(const google::protobuf::Message& message) {
  return !message.GetReflection()->GetUnknownFields(message).empty();
}

TEST(UnknownFieldsTest, FreshMessageHasNone) {
  Entry entry;
  entry.set_index(3);
  EXPECT_FALSE(HasUnknownFields(entry));
  EXPECT_FALSE(unknown_fields_internal::MetadataReader::MayHaveUnknownFields(entry));
}

TEST(UnknownFieldsTest, ParsedUnknownFieldIsSeen) {
  Entry entry;
  ASSERT_TRUE(entry.ParseFromString(kUnknownEntryField));
  EXPECT_TRUE(HasUnknownFields(entry));
}

// Clear() empties the unknown-field set but keeps it allocated, so the
// metadata's bit alone would still say yes.
TEST(UnknownFieldsTest, ClearedSetCountsAsNone) {
  Entry entry;
  ASSERT_TRUE(entry.ParseFromString(kUnknownEntryField));
  entry.Clear();
  EXPECT_TRUE(unknown_fields_internal::MetadataReader::MayHaveUnknownFields(entry));
  EXPECT_FALSE(HasUnknownFields(entry));
}

TEST(UnknownFieldsTest, LooksOnlyAtTheMessageItself) {
  Message message;
  ASSERT_TRUE(message.add_entries()->ParseFromString(kUnknownEntryField));
  EXPECT_FALSE(HasUnknownFields(message));
  EXPECT_TRUE(HasUnknownFields(message.entries(0)));
}

// Whatever the message went through (parses with and without unknown
// fields, clears, copies), the answer is reflection's.
RC_GTEST_PROP(UnknownFieldsTest, AgreesWithReflection, ()) {
  Entry entry;
  const int steps = *rc::gen::inRange(0, 6);
  for (int i = 0; i < steps; ++i) {
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        RC_ASSERT(entry.ParseFromString(kUnknownEntryField));
        break;
      case 1:
        RC_ASSERT(entry.ParseFromString(std::string("\x10\x05", 2)));  // index = 5
        break;
      case 2:
        entry.Clear();
        break;
      default: {
        Entry copy;
        copy = entry;
        entry = copy;
        break;
      }
    }
    RC_ASSERT(HasUnknownFields(entry) == ReflectionSaysSo(entry));
  }
}

}  // namespace
}  // namespace kv::raft
