#pragma once
// pb::Command in protobuf's wire form, written without protobuf's
// serializer, for the client requests that carry one. Layer: node.
//
// As result_writer.h: the bytes are exactly those SerializeAsString
// produces for a command without unknown fields, and a caller with
// ByteSizeLong() at hand tells those apart by comparing it with
// CommandBytes(), as unknown fields only add bytes.

#include <cstddef>

#include "node/kv/kv.pb.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {

// The serialized size of `command` without its unknown fields.
inline size_t CommandBytes(const pb::Command& command) {
  return wire::VarintFieldBytes(command.client_id()) + wire::VarintFieldBytes(command.sequence()) +
         wire::VarintFieldBytes(wire::EnumValue(command.op())) + wire::BytesFieldBytes(command.key()) +
         wire::BytesFieldBytes(command.value()) + wire::BytesFieldBytes(command.expected()) +
         wire::VarintFieldBytes(command.expect_absent() ? 1 : 0);
}

// Writes `command` at `out` as SerializeAsString would, and returns the end
// of what it wrote (CommandBytes(command) bytes on). Precondition:
// `command` holds no unknown fields, and `out` has room.
inline char* WriteCommand(const pb::Command& command, char* out) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  out = wire::WriteVarintField(Tag(1, kVarint), command.client_id(), out);
  out = wire::WriteVarintField(Tag(2, kVarint), command.sequence(), out);
  out = wire::WriteVarintField(Tag(3, kVarint), wire::EnumValue(command.op()), out);
  out = wire::WriteBytesField(Tag(4, kLengthDelimited), command.key(), out);
  out = wire::WriteBytesField(Tag(5, kLengthDelimited), command.value(), out);
  out = wire::WriteBytesField(Tag(6, kLengthDelimited), command.expected(), out);
  // Protobuf writes a set bool as 1.
  return wire::WriteVarintField(Tag(7, kVarint), command.expect_absent() ? 1 : 0, out);
}

}  // namespace kv::node
