#include "node/kv/session_codec.h"

#include <cstdint>

#include "node/env/check.h"
#include "node/kv/result_writer.h"
#include "node/kv/wire_bytes.h"
#include "raft/unknown_fields.h"

namespace kv::node {

bool HasUnknownFields(const pb::Session& session) {
  // From each message's metadata bit, reflection only when a set was ever
  // allocated (raft/unknown_fields.h).
  return raft::HasUnknownFields(session) || raft::HasUnknownFields(session.result());
}

void EncodeSessionInto(uint64_t sequence, const pb::Result& result, uint64_t last_index,
                       std::string& bytes) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  using wire::VarintBytes;
  using wire::VarintFieldBytes;
  using wire::WriteVarint;
  using wire::WriteVarintField;
  const size_t result_bytes = ResultBytes(result);
  // A set message field is written even when empty.
  const size_t total = VarintFieldBytes(sequence) + 1 + VarintBytes(result_bytes) + result_bytes +
                       VarintFieldBytes(last_index);
  bytes.resize(total);
  char* out = bytes.data();
  out = WriteVarintField(Tag(1, kVarint), sequence, out);
  *out++ = Tag(2, kLengthDelimited);
  out = WriteVarint(result_bytes, out);
  out = WriteResult(result, out);
  out = WriteVarintField(Tag(3, kVarint), last_index, out);
  KV_CHECK(out == bytes.data() + bytes.size());
}

}  // namespace kv::node
