#pragma once
// pb::Result in protobuf's wire form, written without protobuf's
// serializer, for the codecs that carry one (session records, client
// responses). Layer: node.
//
// The bytes are exactly those SerializeAsString produces for a result
// without unknown fields; a caller tells those apart with
// raft::HasUnknownFields (raft/unknown_fields.h), which answers from the
// message's metadata bit.

#include <cstddef>

#include "node/kv/kv.pb.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {

// The serialized size of `result` without its unknown fields.
inline size_t ResultBytes(const pb::Result& result) {
  return wire::VarintFieldBytes(wire::EnumValue(result.code())) + wire::BytesFieldBytes(result.value()) +
         wire::VarintFieldBytes(result.found() ? 1 : 0);
}

// Writes `result` at `out` as SerializeAsString would, and returns the end
// of what it wrote (ResultBytes(result) bytes on). Precondition: `result`
// holds no unknown fields, and `out` has room.
inline char* WriteResult(const pb::Result& result, char* out) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  out = wire::WriteVarintField(Tag(1, kVarint), wire::EnumValue(result.code()), out);
  out = wire::WriteBytesField(Tag(2, kLengthDelimited), result.value(), out);
  // Protobuf writes a set bool as 1.
  return wire::WriteVarintField(Tag(3, kVarint), result.found() ? 1 : 0, out);
}

}  // namespace kv::node
