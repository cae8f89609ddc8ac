#include "node/kv/command_codec.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "node/kv/client_message_codec.h"
#include "node/kv/log_payload_reader.h"
#include "node/kv/wire_bytes.h"
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

// Appends a varint of `value` as protobuf writes it or, if `alter`, in one
// of the other forms its reader takes for the same number: one byte longer
// (a zero group appended), or, at ten bytes, with dropped bits in the last.
void AppendVarint(uint64_t value, bool alter, std::string& out) {
  char buffer[wire::kMaxVarintBytes + 1];
  char* end = wire::WriteVarint(value, buffer);
  if (alter && end - buffer < wire::kMaxVarintBytes) {
    end[-1] = static_cast<char>(end[-1] | 0x80);
    *end++ = 0;
  } else if (alter) {
    end[-1] = static_cast<char>(end[-1] | *rc::gen::element<char>(0x02, 0x40, 0x7e));
  }
  out.append(buffer, end);
}

// A command holding `fields` in a form the hand reader accepts: protobuf's,
// or with one field (of number 1 to 7, drawn) in another form (see
// AppendVarint), or written although zero or empty, which protobuf omits.
// One field at a time, so that the sizes often match and only the bytes
// tell the forms apart.
std::string EncodeLoosely(const CommandFields& fields) {
  const int altered = *rc::gen::inRange(0, 8);  // 0: none.
  std::string out;
  const auto varint_field = [&](int number, uint64_t value) {
    if (value == 0 && number != altered) return;
    out.push_back(wire::Tag(number, wire::kVarint));
    AppendVarint(value, number == altered && value != 0, out);
  };
  const auto bytes_field = [&](int number, absl::string_view value) {
    if (value.empty() && number != altered) return;
    out.push_back(wire::Tag(number, wire::kLengthDelimited));
    AppendVarint(value.size(), number == altered && !value.empty(), out);
    out.append(value.data(), value.size());
  };
  varint_field(1, fields.client_id);
  varint_field(2, fields.sequence);
  varint_field(3, wire::EnumValue(fields.op));
  bytes_field(4, fields.key);
  bytes_field(5, fields.value);
  bytes_field(6, fields.expected);
  if (fields.expect_absent || altered == 7) {
    out.push_back(wire::Tag(7, wire::kVarint));
    out.push_back(fields.expect_absent ? 1 : 0);
  }
  return out;
}

RC_GTEST_PROP(CommandCodec, IsEncodedCommandExactlyForTheEncoding, ()) {
  GeneratedCommand g = GenFields();
  g.fields.op = static_cast<pb::Op>(*rc::gen::inRange(0, pb::Op_ARRAYSIZE));  // What the reader takes.
  const std::string bytes = EncodeLoosely(g.fields);
  CommandFields read;
  RC_ASSERT(ReadCommandFields(bytes, read));
  RC_ASSERT(EncodeCommand(read) == EncodeCommand(g.fields));
  RC_ASSERT(IsEncodedCommand(bytes, read) == (bytes == EncodeCommand(read)));
  RC_TAG(bytes == EncodeCommand(read) ? "encoding" : "other form");
}

TEST(CommandCodec, IsEncodedCommandTellsTenByteVarintsApart) {
  CommandFields fields;
  fields.client_id = UINT64_MAX;
  fields.op = pb::OP_DELETE;
  fields.key = "k";
  std::string bytes = EncodeCommand(fields);
  CommandFields read;
  ASSERT_TRUE(ReadCommandFields(bytes, read));
  EXPECT_TRUE(IsEncodedCommand(bytes, read));
  bytes[10] = 0x03;  // The client id's last byte: the bit above 64 is dropped.
  ASSERT_TRUE(ReadCommandFields(bytes, read));
  ASSERT_EQ(read.client_id, UINT64_MAX);
  EXPECT_FALSE(IsEncodedCommand(bytes, read));
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
