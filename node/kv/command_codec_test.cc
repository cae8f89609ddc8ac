#include "node/kv/command_codec.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "node/kv/client_message_codec.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::node {
namespace {

std::string GenBytes(int max_size) {
  return *rc::gen::container<std::string>(*rc::gen::inRange(0, max_size), rc::gen::arbitrary<char>());
}

// Field values, zero included: proto3 omits zero and empty fields.
uint64_t GenNumber() { return *rc::gen::element<uint64_t>(0, 1, 127, 128, 300, UINT64_MAX); }

// A command whose `fields` view the strings beside them.
struct GeneratedCommand {
  std::string key, value, expected;
  CommandFields fields;
};

GeneratedCommand GenFields() {
  GeneratedCommand g;
  g.key = GenBytes(40);
  g.value = GenBytes(300);  // Lengths past 127 take a two-byte prefix.
  g.expected = GenBytes(20);
  g.fields.client_id = GenNumber();
  g.fields.sequence = GenNumber();
  // Unknown and negative ops too: protobuf writes them as they are.
  g.fields.op = static_cast<pb::Op>(*rc::gen::inRange(-2, 6));
  g.fields.key = g.key;
  g.fields.value = g.value;
  g.fields.expected = g.expected;
  g.fields.expect_absent = *rc::gen::arbitrary<bool>();
  return g;
}

pb::Command ToProto(const CommandFields& f) {
  pb::Command c;
  c.set_client_id(f.client_id);
  c.set_sequence(f.sequence);
  c.set_op(f.op);
  c.set_key(std::string(f.key));
  c.set_value(std::string(f.value));
  c.set_expected(std::string(f.expected));
  c.set_expect_absent(f.expect_absent);
  return c;
}

RC_GTEST_PROP(CommandCodec, EncodeWritesWhatProtobufWrites, ()) {
  const GeneratedCommand g = GenFields();
  RC_ASSERT(EncodeCommand(g.fields) == ToProto(g.fields).SerializeAsString());
}

RC_GTEST_PROP(CommandCodec, SerializeWritesWhatProtobufWrites, ()) {
  const GeneratedCommand g = GenFields();
  const pb::Command command = ToProto(g.fields);
  RC_ASSERT(SerializeCommand(command) == command.SerializeAsString());
}

RC_GTEST_PROP(CommandCodec, RequestIsClientMessageCodecs, ()) {
  const GeneratedCommand g = GenFields();
  const uint64_t request_id = GenNumber();
  const uint64_t shard = GenNumber();
  const std::string bytes = EncodeClientRequest(request_id, g.fields, shard);
  RC_ASSERT(bytes == EncodeClientRequest(request_id, ToProto(g.fields), shard));
  pb::NodeMessage expected;
  expected.mutable_request()->set_request_id(request_id);
  *expected.mutable_request()->mutable_command() = ToProto(g.fields);
  expected.mutable_request()->set_shard(shard);
  RC_ASSERT(bytes == expected.SerializeAsString());
}

TEST(CommandCodec, SerializeKeepsUnknownFields) {
  pb::Command command;
  command.set_op(pb::OP_PUT);
  command.set_key("k1-2");
  // Field 9, varint 1: unknown to this version. Protobuf writes it back.
  ASSERT_TRUE(command.MergeFromString(std::string("\x48\x01", 2)));
  const std::string bytes = SerializeCommand(command);
  EXPECT_EQ(bytes, command.SerializeAsString());
  EXPECT_NE(bytes.find(std::string("\x48\x01", 2)), std::string::npos);
}

TEST(CommandCodec, EmptyCommandInRequestIsStillWritten) {
  // A set message field is written even when empty: tag and zero length.
  EXPECT_EQ(EncodeCommand(CommandFields{}), "");
  EXPECT_EQ(EncodeClientRequest(0, CommandFields{}, 0), std::string("\x12\x02\x12\x00", 4));
}

}  // namespace
}  // namespace kv::node
