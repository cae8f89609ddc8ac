#pragma once
// pb::Command in protobuf's wire form, written without protobuf's
// serializer: the one writer behind the client's requests
// (client_message_codec.h, command_codec.h) and the leader's proposals.
// Layer: node.
//
// As result_writer.h: the bytes are exactly those SerializeAsString
// produces for a command without unknown fields (proto3: fields in number
// order, zero numbers and empty strings omitted); a caller tells those
// apart with raft::HasUnknownFields (raft/unknown_fields.h), which answers
// from the message's metadata bit.

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "node/kv/kv.pb.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {

// A command's fields, viewing strings the caller keeps alive while it is
// encoded: a client writes its requests from these without building a
// pb::Command (and copying its strings) first.
struct CommandFields {
  uint64_t client_id = 0;
  uint64_t sequence = 0;
  pb::Op op = pb::OP_UNKNOWN;
  absl::string_view key;
  absl::string_view value;
  absl::string_view expected;
  bool expect_absent = false;
};

inline CommandFields FieldsOf(const pb::Command& command) {
  return CommandFields{command.client_id(), command.sequence(), command.op(), command.key(),
                       command.value(),     command.expected(), command.expect_absent()};
}

// The serialized size of a command holding `command`.
inline size_t CommandBytes(const CommandFields& command) {
  return wire::VarintFieldBytes(command.client_id) + wire::VarintFieldBytes(command.sequence) +
         wire::VarintFieldBytes(wire::EnumValue(command.op)) + wire::BytesFieldBytes(command.key) +
         wire::BytesFieldBytes(command.value) + wire::BytesFieldBytes(command.expected) +
         wire::VarintFieldBytes(command.expect_absent ? 1 : 0);
}

// Writes a command holding `command` at `out` as SerializeAsString would,
// and returns the end of what it wrote (CommandBytes(command) bytes on).
// Precondition: `out` has room.
inline char* WriteCommand(const CommandFields& command, char* out) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  out = wire::WriteVarintField(Tag(1, kVarint), command.client_id, out);
  out = wire::WriteVarintField(Tag(2, kVarint), command.sequence, out);
  out = wire::WriteVarintField(Tag(3, kVarint), wire::EnumValue(command.op), out);
  out = wire::WriteBytesField(Tag(4, kLengthDelimited), command.key, out);
  out = wire::WriteBytesField(Tag(5, kLengthDelimited), command.value, out);
  out = wire::WriteBytesField(Tag(6, kLengthDelimited), command.expected, out);
  // Protobuf writes a set bool as 1.
  return wire::WriteVarintField(Tag(7, kVarint), command.expect_absent ? 1 : 0, out);
}

// The same for a pb::Command, without its unknown fields. WriteCommand's
// precondition adds: `command` holds no unknown fields.
inline size_t CommandBytes(const pb::Command& command) { return CommandBytes(FieldsOf(command)); }
inline char* WriteCommand(const pb::Command& command, char* out) { return WriteCommand(FieldsOf(command), out); }

}  // namespace kv::node
