#include "node/kv/session_codec.h"

#include <cstdint>

#include "google/protobuf/unknown_field_set.h"
#include "node/env/check.h"
#include "node/kv/result_writer.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {

bool HasUnknownFields(const pb::Session& session) {
  return !session.GetReflection()->GetUnknownFields(session).empty() ||
         !session.result().GetReflection()->GetUnknownFields(session.result()).empty();
}

void EncodeSessionInto(const pb::Session& session, std::string& bytes) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  using wire::VarintBytes;
  using wire::VarintFieldBytes;
  using wire::WriteVarint;
  using wire::WriteVarintField;
  const size_t result_bytes = ResultBytes(session.result());
  // A set message field is written even when empty.
  const size_t total = VarintFieldBytes(session.sequence()) +
                       (session.has_result() ? 1 + VarintBytes(result_bytes) + result_bytes : 0) +
                       VarintFieldBytes(session.last_index());
  bytes.resize(total);
  char* out = bytes.data();
  out = WriteVarintField(Tag(1, kVarint), session.sequence(), out);
  if (session.has_result()) {
    *out++ = Tag(2, kLengthDelimited);
    out = WriteVarint(result_bytes, out);
    out = WriteResult(session.result(), out);
  }
  out = WriteVarintField(Tag(3, kVarint), session.last_index(), out);
  KV_CHECK(out == bytes.data() + bytes.size());
}

}  // namespace kv::node
