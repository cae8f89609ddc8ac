#include "node/kv/client_message_codec.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "raft/unknown_fields.h"

namespace kv::node {
namespace {

std::string GenBytes(int max_size) {
  return *rc::gen::container<std::string>(*rc::gen::inRange(0, max_size), rc::gen::arbitrary<char>());
}

// Field values, zero included: proto3 omits zero and empty fields.
uint64_t GenNumber() { return *rc::gen::element<uint64_t>(0, 1, 127, 128, 300, UINT64_MAX); }

// One of 0 to count - 1, each as likely at any size (rc::gen::inRange
// scales its range with the size, so the largest enum values would come up
// only in the last few cases).
rc::Gen<int> AnyOf(int count) { return rc::gen::resize(100, rc::gen::inRange(0, count)); }

pb::Command GenCommand() {
  pb::Command c;
  c.set_client_id(GenNumber());
  c.set_sequence(GenNumber());
  c.set_op(static_cast<pb::Op>(*AnyOf(pb::Op_ARRAYSIZE)));
  c.set_key(GenBytes(40));
  c.set_value(GenBytes(300));
  c.set_expected(GenBytes(20));
  c.set_expect_absent(*rc::gen::arbitrary<bool>());
  return c;
}

pb::Result GenResult() {
  pb::Result r;
  r.set_code(static_cast<pb::Code>(*AnyOf(pb::Code_ARRAYSIZE)));
  r.set_value(GenBytes(300));
  r.set_found(*rc::gen::arbitrary<bool>());
  return r;
}

// Applies a few byte edits (insert, erase, overwrite with a tag-like or
// varint-like byte).
void Mutate(std::string& bytes) {
  const int edits = *rc::gen::inRange(1, 4);
  for (int i = 0; i < edits; ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size() + 1);
    const char byte = *rc::gen::element<char>(0x00, 0x08, 0x0a, 0x12, 0x18, 0x1a, 0x22, '\x80', '\xff');
    switch (*rc::gen::inRange(0, 3)) {
      case 0: bytes.insert(at, 1, byte); break;
      case 1: if (at < bytes.size()) bytes.erase(at, 1); break;
      default: if (at < bytes.size()) bytes[at] = byte; break;
    }
  }
}

void ExpectSameRequest(const ClientRequestReader& reader, const std::string& bytes) {
  pb::NodeMessage parsed;
  RC_ASSERT(parsed.ParseFromString(bytes));
  RC_ASSERT(parsed.body_case() == pb::NodeMessage::kRequest);
  RC_ASSERT(reader.request_id() == parsed.request().request_id());
  RC_ASSERT(reader.shard() == parsed.request().shard());
  const pb::Command& command = parsed.request().command();
  const CommandFields& read = reader.command();
  RC_ASSERT(read.client_id == command.client_id());
  RC_ASSERT(read.sequence == command.sequence());
  RC_ASSERT(read.op == command.op());
  RC_ASSERT(read.key == command.key());
  RC_ASSERT(read.value == command.value());
  RC_ASSERT(read.expected == command.expected());
  RC_ASSERT(read.expect_absent == command.expect_absent());
  // What a leader proposes: the bytes as protobuf writes them.
  RC_ASSERT(reader.SerializedCommand() == command.SerializeAsString());
}

void ExpectSameResponse(const ClientResponseReader& reader, const std::string& bytes) {
  pb::NodeMessage parsed;
  RC_ASSERT(parsed.ParseFromString(bytes));
  RC_ASSERT(parsed.body_case() == pb::NodeMessage::kResponse);
  RC_ASSERT(reader.request_id() == parsed.response().request_id());
  RC_ASSERT(reader.leader_hint() == parsed.response().leader_hint());
  RC_ASSERT(parsed.response().error().empty());
  RC_ASSERT(reader.result().SerializeAsString() == parsed.response().result().SerializeAsString());
}

RC_GTEST_PROP(ClientMessageCodecTest, RequestEncodingIsProtobufsAndReadsBack, ()) {
  const uint64_t id = GenNumber();
  const uint64_t shard = GenNumber();
  const pb::Command command = GenCommand();
  pb::NodeMessage message;
  message.mutable_request()->set_request_id(id);
  *message.mutable_request()->mutable_command() = command;
  message.mutable_request()->set_shard(shard);
  const std::string bytes = EncodeClientRequest(id, command, shard);
  RC_ASSERT(bytes == message.SerializeAsString());
  ClientRequestReader reader;
  RC_ASSERT(reader.Read(bytes));
  ExpectSameRequest(reader, bytes);
}

// A reused buffer, longer or shorter than the request, ends up holding
// exactly the request's bytes.
RC_GTEST_PROP(ClientMessageCodecTest, RequestEncodedIntoAReusedBufferReplacesItsBytes, ()) {
  std::string bytes = GenBytes(600);
  for (int request = 0; request < 3; ++request) {
    const uint64_t id = GenNumber();
    const uint64_t shard = GenNumber();
    const pb::Command command = GenCommand();
    EncodeClientRequestInto(id, FieldsOf(command), shard, bytes);
    RC_ASSERT(bytes == EncodeClientRequest(id, command, shard));
  }
}

// Strings around the size where the body's length takes a second byte,
// with the longest numbers (ten-byte ids, a negative op) and the shortest:
// the encoder's one-byte-length path and its general path both give
// protobuf's bytes, into a reused buffer too.
TEST(ClientMessageCodecTest, RequestEncodingIsProtobufsAroundOneByteLengths) {
  std::string reused(200, 'x');
  for (size_t string_bytes = 0; string_bytes <= 70; ++string_bytes) {
    for (const uint64_t number : {uint64_t{0}, uint64_t{1}, UINT64_MAX}) {
      for (const int op : {0, static_cast<int>(pb::Op_MAX), -1}) {
        pb::Command command;
        command.set_client_id(number);
        command.set_sequence(number);
        command.set_op(static_cast<pb::Op>(op));
        // Split among the three strings.
        command.set_key(std::string(string_bytes / 2, 'k'));
        command.set_value(std::string(string_bytes / 4, 'v'));
        command.set_expected(std::string(string_bytes - string_bytes / 2 - string_bytes / 4, 'e'));
        command.set_expect_absent(number != 0);
        pb::NodeMessage message;
        message.mutable_request()->set_request_id(number);
        *message.mutable_request()->mutable_command() = command;
        message.mutable_request()->set_shard(number);
        const std::string want = message.SerializeAsString();
        EXPECT_EQ(EncodeClientRequest(number, FieldsOf(command), number), want)
            << string_bytes << " string bytes, numbers " << number << ", op " << op;
        EncodeClientRequestInto(number, FieldsOf(command), number, reused);
        EXPECT_EQ(reused, want) << string_bytes << " string bytes, numbers " << number << ", op " << op;
      }
    }
  }
}

RC_GTEST_PROP(ClientMessageCodecTest, ResponseEncodingIsProtobufsAndReadsBack, ()) {
  const uint64_t id = GenNumber();
  const uint64_t hint = GenNumber();
  const pb::Result result = GenResult();
  const std::string error = *rc::gen::element<std::string>("", "key belongs to shard 3, not 4");
  pb::NodeMessage message;
  message.mutable_response()->set_request_id(id);
  *message.mutable_response()->mutable_result() = result;
  message.mutable_response()->set_leader_hint(hint);
  message.mutable_response()->set_error(error);
  const std::string bytes = EncodeClientResponse(id, result, hint, error);
  RC_ASSERT(bytes == message.SerializeAsString());
  ClientResponseReader reader;
  // A response with an error text is left to protobuf (UTF-8 check).
  RC_ASSERT(reader.Read(bytes) == error.empty());
  if (error.empty()) ExpectSameResponse(reader, bytes);
}

// Values around the size where the body's length takes a second byte,
// with the longest numbers (ten-byte ids, a negative code) and the
// shortest: the encoder's one-byte-length path and its general path both
// give protobuf's bytes.
TEST(ClientMessageCodecTest, ResponseEncodingIsProtobufsAroundOneByteLengths) {
  for (size_t value_bytes = 0; value_bytes <= 130; ++value_bytes) {
    for (const uint64_t number : {uint64_t{0}, uint64_t{1}, UINT64_MAX}) {
      for (const int code : {0, static_cast<int>(pb::Code_MAX), -1}) {
        pb::Result result;
        result.set_code(static_cast<pb::Code>(code));
        result.set_value(std::string(value_bytes, 'v'));
        result.set_found(number != 0);
        pb::NodeMessage message;
        message.mutable_response()->set_request_id(number);
        *message.mutable_response()->mutable_result() = result;
        message.mutable_response()->set_leader_hint(number);
        EXPECT_EQ(EncodeClientResponse(number, result, number, ""), message.SerializeAsString())
            << value_bytes << " value bytes, numbers " << number << ", code " << code;
      }
    }
  }
}

// ReadInto decodes into the caller's result, reused across responses, as
// Read does into the reader's own, and leaves the reader's own alone.
RC_GTEST_PROP(ClientMessageCodecTest, ResponseReadIntoAReusedResultReadsAsRead, ()) {
  ClientResponseReader reader;
  pb::Result reused = GenResult();
  for (int response = 0; response < 3; ++response) {
    const uint64_t id = GenNumber();
    const uint64_t hint = GenNumber();
    const pb::Result result = GenResult();
    const std::string bytes = EncodeClientResponse(id, result, hint, "");
    RC_ASSERT(reader.Read(bytes));
    const pb::Result before = reader.result();
    const std::string other = EncodeClientResponse(GenNumber(), GenResult(), GenNumber(), "");
    RC_ASSERT(reader.ReadInto(other, reused));
    RC_ASSERT(reader.result().SerializeAsString() == before.SerializeAsString());
    RC_ASSERT(reader.ReadInto(bytes, reused));
    RC_ASSERT(reader.request_id() == id);
    RC_ASSERT(reader.leader_hint() == hint);
    RC_ASSERT(reused.SerializeAsString() == result.SerializeAsString());
  }
}

// Soundness on arbitrary input: whatever a reader accepts, protobuf accepts
// too, with the same content. One reader over several inputs covers reuse.
RC_GTEST_PROP(ClientMessageCodecTest, ReadersAcceptOnlyWhatProtobufParsesTheSame, ()) {
  ClientRequestReader request_reader;
  ClientResponseReader response_reader;
  for (int round = 0; round < 3; ++round) {
    std::string request = EncodeClientRequest(GenNumber(), GenCommand(), GenNumber());
    std::string response = EncodeClientResponse(GenNumber(), GenResult(), GenNumber(), "");
    Mutate(request);
    Mutate(response);
    if (request_reader.Read(request)) ExpectSameRequest(request_reader, request);
    if (response_reader.Read(response)) ExpectSameResponse(response_reader, response);
    if (request_reader.Read(response)) ExpectSameRequest(request_reader, response);
  }
}

RC_GTEST_PROP(ResultReader, DecodesWhatProtobufWritesIntoAReusedResult, ()) {
  const pb::Result original = GenResult();
  pb::Result read = GenResult();  // Left over from an earlier result.
  RC_ASSERT(ReadResult(original.SerializeAsString(), read));
  RC_ASSERT(read.SerializeAsString() == original.SerializeAsString());
}

// A result reused after protobuf parsed fields this version does not know
// into it (a declined result) keeps none of them, nor its other fields.
TEST(ResultReader, DropsUnknownFieldsOfAReusedResult) {
  pb::Result read;
  ASSERT_TRUE(read.ParseFromString(std::string("\x08\x02\x12\x03old\x18\x01\x48\x01", 11)));
  ASSERT_TRUE(raft::HasUnknownFields(read));  // Field 9, varint 1.
  pb::Result result;
  result.set_code(pb::CODE_NOT_FOUND);
  ASSERT_TRUE(ReadResult(result.SerializeAsString(), read));
  EXPECT_EQ(read.SerializeAsString(), result.SerializeAsString());
}

RC_GTEST_PROP(ResultReader, AcceptsOnlyWhatProtobufReadsAlike, ()) {
  std::string bytes = GenResult().SerializeAsString();
  Mutate(bytes);
  if (*rc::gen::arbitrary<bool>()) bytes.resize(*rc::gen::inRange<size_t>(0, bytes.size() + 1));
  pb::Result read = GenResult();
  if (!ReadResult(bytes, read)) return;
  pb::Result parsed;
  RC_ASSERT(parsed.ParseFromString(bytes));
  RC_ASSERT(read.SerializeAsString() == parsed.SerializeAsString());
}

TEST(ResultReader, DeclinesFormsProtobufDoesNotWrite) {
  pb::Result result;
  result.set_code(pb::CODE_NOT_FOUND);
  result.set_value("v");
  const std::string bytes = result.SerializeAsString();
  pb::Result read;
  // Fields out of order, a repeated field, an unknown field, an unknown
  // code, a bool written as 2, a truncated length.
  EXPECT_FALSE(ReadResult(bytes.substr(2) + bytes.substr(0, 2), read));
  EXPECT_FALSE(ReadResult(bytes + bytes, read));
  EXPECT_FALSE(ReadResult(bytes + std::string("\x20\x01", 2), read));
  EXPECT_FALSE(ReadResult(std::string("\x08\x09", 2), read));
  EXPECT_FALSE(ReadResult(std::string("\x18\x02", 2), read));
  EXPECT_FALSE(ReadResult(std::string("\x12\x05v", 3), read));
  EXPECT_TRUE(ReadResult(bytes, read));
  EXPECT_EQ(read.code(), pb::CODE_NOT_FOUND);
  EXPECT_EQ(read.value(), "v");
  EXPECT_FALSE(read.found());
}

// A command or result the hand reader declines but protobuf reads (here
// with its fields out of order) is read by protobuf, inside an envelope the
// reader still takes.
TEST(ClientMessageCodecTest, ReadersLeaveAnUnusualPayloadToProtobuf) {
  pb::Command command;
  command.set_client_id(3);
  command.set_key("k");
  std::string command_bytes = command.SerializeAsString();
  command_bytes = command_bytes.substr(2) + command_bytes.substr(0, 2);
  pb::NodeMessage request;
  request.mutable_request()->set_request_id(4);
  request.mutable_request()->set_shard(5);
  std::string bytes = request.SerializeAsString();
  // The command (field 2) goes between the request id and the shard.
  bytes.insert(4, std::string("\x12") + static_cast<char>(command_bytes.size()) + command_bytes);
  bytes[1] = static_cast<char>(bytes[1] + 2 + command_bytes.size());
  ClientRequestReader request_reader;
  ASSERT_TRUE(request_reader.Read(bytes));
  EXPECT_EQ(request_reader.request_id(), 4u);
  EXPECT_EQ(request_reader.shard(), 5u);
  EXPECT_EQ(request_reader.command().key, "k");
  EXPECT_EQ(request_reader.SerializedCommand(), command.SerializeAsString());

  pb::Result result;
  result.set_code(pb::CODE_CAS_MISMATCH);
  result.set_value("v");
  std::string result_bytes = result.SerializeAsString();
  result_bytes = result_bytes.substr(2) + result_bytes.substr(0, 2);
  pb::NodeMessage response;
  response.mutable_response()->set_request_id(4);
  bytes = response.SerializeAsString();
  bytes += std::string("\x12") + static_cast<char>(result_bytes.size()) + result_bytes;
  bytes[1] = static_cast<char>(bytes[1] + 2 + result_bytes.size());
  ClientResponseReader response_reader;
  ASSERT_TRUE(response_reader.Read(bytes));
  EXPECT_EQ(response_reader.request_id(), 4u);
  EXPECT_EQ(response_reader.result().SerializeAsString(), result.SerializeAsString());
}

// A result with fields this version does not know (one parsed from a newer
// peer's bytes) is written by protobuf, which writes those fields back.
TEST(ClientMessageCodecTest, ResponseKeepsAResultsUnknownFields) {
  pb::Result result;
  result.set_code(pb::CODE_NOT_FOUND);
  ASSERT_TRUE(result.MergeFromString(std::string("\x48\x01", 2)));  // Field 9, varint 1.
  pb::NodeMessage message;
  message.mutable_response()->set_request_id(3);
  *message.mutable_response()->mutable_result() = result;
  EXPECT_EQ(EncodeClientResponse(3, result, 0, ""), message.SerializeAsString());
}

TEST(ClientMessageCodecTest, RequestKeepsACommandsUnknownFields) {
  pb::Command command;
  command.set_key("k");
  ASSERT_TRUE(command.MergeFromString(std::string("\x48\x01", 2)));  // Field 9, varint 1.
  pb::NodeMessage message;
  message.mutable_request()->set_request_id(3);
  *message.mutable_request()->mutable_command() = command;
  EXPECT_EQ(EncodeClientRequest(3, command, 0), message.SerializeAsString());
}

TEST(ClientMessageCodecTest, ReadersDeclineDuplicateFieldsAndOtherBodies) {
  pb::Command command;
  command.set_key("k");
  std::string bytes = EncodeClientRequest(5, command, 2);
  // A second shard field is valid protobuf (the last wins), but not the
  // form protobuf writes: protobuf must decide.
  bytes += std::string("\x18\x07", 2);
  bytes[1] = static_cast<char>(bytes[1] + 2);
  pb::NodeMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.request().shard(), 7u);
  ClientRequestReader request_reader;
  EXPECT_FALSE(request_reader.Read(bytes));
  ClientResponseReader response_reader;
  EXPECT_FALSE(response_reader.Read(EncodeClientRequest(5, command, 2)));
  EXPECT_FALSE(request_reader.Read(EncodeClientResponse(5, pb::Result(), 0, "")));
  EXPECT_FALSE(request_reader.Read(""));
}

TEST(ClientMessageCodecTest, AbsentCommandReadsAsDefaultCommand) {
  ClientRequestReader reader;
  pb::Command command;
  command.set_key("old");
  ASSERT_TRUE(reader.Read(EncodeClientRequest(1, command, 1)));
  pb::NodeMessage message;
  message.mutable_request()->set_request_id(9);  // No command field.
  ASSERT_TRUE(reader.Read(message.SerializeAsString()));
  EXPECT_EQ(reader.request_id(), 9u);
  EXPECT_EQ(reader.command().key, "");
  EXPECT_EQ(reader.SerializedCommand(), "");
}

// A command the hand reader takes in a form protobuf does not write (here a
// zero written out) is proposed as protobuf writes it, not as received.
TEST(ClientMessageCodecTest, SerializedCommandIsProtobufsFormNotTheReceivedOne) {
  pb::Command command;
  command.set_op(pb::OP_PUT);
  command.set_key("k");
  const std::string canonical = command.SerializeAsString();
  const std::string loose = std::string("\x08\x00", 2) + canonical;  // client_id = 0, written.
  // NodeMessage{request: {request_id: 1, command: loose}}.
  const std::string bytes = std::string("\x12") + static_cast<char>(2 + 2 + loose.size()) + "\x08\x01\x12" +
                            static_cast<char>(loose.size()) + loose;
  ClientRequestReader reader;
  ASSERT_TRUE(reader.Read(bytes));
  EXPECT_EQ(reader.command().key, "k");
  EXPECT_EQ(reader.SerializedCommand(), canonical);
}

// A command with fields this version does not know is parsed by protobuf,
// which writes them back into the proposal.
TEST(ClientMessageCodecTest, SerializedCommandKeepsUnknownFields) {
  pb::Command command;
  command.set_op(pb::OP_PUT);
  command.set_key("k");
  ASSERT_TRUE(command.MergeFromString(std::string("\x48\x01", 2)));  // Field 9, varint 1.
  ClientRequestReader reader;
  ASSERT_TRUE(reader.Read(EncodeClientRequest(2, command, 0)));
  EXPECT_EQ(reader.command().key, "k");
  EXPECT_EQ(reader.SerializedCommand(), command.SerializeAsString());
}

}  // namespace
}  // namespace kv::node
