#include "raft/message_clear.h"

#include <string>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "google/protobuf/descriptor.h"
#include "raft/every_field_for_test.h"
#include "raft/raft.pb.h"

namespace kv::raft {
namespace {

// Sets every field of raft::Message, found through its descriptor, so that
// a field added to the proto and forgotten by ClearMessage shows here.
Message MessageWithEveryField() {
  Message message;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (SetScalarField(message, field, i)) continue;
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      ADD_FAILURE() << "raft::Message field " << field->name() << " has a type this test does not set";
    } else if (field->is_repeated()) {
      Entry* entry = static_cast<Entry*>(reflection->AddMessage(&message, field));
      entry->set_index(9);
      entry->set_data("command");
    } else {
      static_cast<SnapshotMetadata*>(reflection->MutableMessage(&message, field))->set_index(5);
    }
  }
  return message;
}

TEST(MessageClearTest, ClearsEveryField) {
  Message message = MessageWithEveryField();
  ClearMessage(message);
  EXPECT_EQ(message.ByteSizeLong(), 0u);
  EXPECT_FALSE(message.has_snapshot_metadata());
  EXPECT_EQ(message.entries_size(), 0);
}

// Like Clear(), it keeps the entry objects, whose data strings are reused.
TEST(MessageClearTest, KeepsTheEntryObjects) {
  Message message = MessageWithEveryField();
  const Entry* entry = &message.entries(0);
  ClearMessage(message);
  EXPECT_EQ(message.add_entries(), entry);
  EXPECT_EQ(entry->ByteSizeLong(), 0u);
}

TEST(MessageClearTest, DropsUnknownFields) {
  Message message;
  // Field 20, varint 1: unknown to raft::Message.
  ASSERT_TRUE(message.ParseFromString(std::string("\xa0\x01\x01", 3)));
  ASSERT_TRUE(HasUnknownFields(message));
  ClearMessage(message);
  EXPECT_FALSE(HasUnknownFields(message));
  EXPECT_EQ(message.ByteSizeLong(), 0u);
}

// Whatever a reused message held, clearing it gives what Clear() gives.
RC_GTEST_PROP(MessageClearTest, AgreesWithClear, ()) {
  Message message;
  message.set_type(static_cast<MessageType>(*rc::gen::inRange(0, MessageType_MAX + 1)));
  message.set_term(*rc::gen::arbitrary<uint64_t>());
  message.set_commit(*rc::gen::arbitrary<uint64_t>());
  message.set_reject(*rc::gen::arbitrary<bool>());
  message.set_snapshot_done(*rc::gen::arbitrary<bool>());
  const int entries = *rc::gen::inRange(0, 3);
  for (int i = 0; i < entries; ++i) message.add_entries()->set_index(static_cast<uint64_t>(i) + 1);
  if (*rc::gen::arbitrary<bool>()) message.set_snapshot_data(*rc::gen::arbitrary<std::string>());
  if (*rc::gen::arbitrary<bool>()) message.mutable_snapshot_metadata()->set_term(3);
  Message expected = message;
  expected.Clear();
  ClearMessage(message);
  RC_ASSERT(message.SerializeAsString() == expected.SerializeAsString());
  RC_ASSERT(message.has_snapshot_metadata() == expected.has_snapshot_metadata());
}

}  // namespace
}  // namespace kv::raft
