#pragma once
// raft::Entry in protobuf's wire form, written without protobuf's
// serializer: the one writer behind the entries the node stores
// (log_payload_writer.h) and those it sends in appends
// (raft_message_codec.h). Layer: node.
//
// As command_writer.h: the bytes are exactly those SerializeAsString
// produces for an entry without unknown fields, and a caller with
// ByteSizeLong() at hand tells those apart by comparing it with
// EntryBytes(), as unknown fields only add bytes.

#include <cstddef>

#include "node/kv/wire_bytes.h"
#include "raft/raft.pb.h"

namespace kv::node {

// The serialized size of `entry` without its unknown fields.
inline size_t EntryBytes(const raft::Entry& entry) {
  return wire::VarintFieldBytes(entry.term()) + wire::VarintFieldBytes(entry.index()) +
         wire::VarintFieldBytes(wire::EnumValue(entry.type())) + wire::BytesFieldBytes(entry.data());
}

// Writes `entry` at `out` as SerializeAsString would, and returns the end
// of what it wrote (EntryBytes(entry) bytes on). Precondition: `entry`
// holds no unknown fields, and `out` has room.
inline char* WriteEntry(const raft::Entry& entry, char* out) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  out = wire::WriteVarintField(Tag(1, kVarint), entry.term(), out);
  out = wire::WriteVarintField(Tag(2, kVarint), entry.index(), out);
  out = wire::WriteVarintField(Tag(3, kVarint), wire::EnumValue(entry.type()), out);
  return wire::WriteBytesField(Tag(4, kLengthDelimited), entry.data(), out);
}

}  // namespace kv::node
