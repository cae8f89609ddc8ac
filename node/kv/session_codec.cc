#include "node/kv/session_codec.h"

#include <algorithm>
#include <cstdint>

#include "google/protobuf/unknown_field_set.h"
#include "node/env/check.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {
namespace {

using wire::kLengthDelimited;
using wire::kVarint;
using wire::Tag;
using wire::VarintBytes;
using wire::WriteVarint;

// Proto3 omits zero scalars and empty strings.
size_t VarintFieldBytes(uint64_t value) { return value == 0 ? 0 : 1 + VarintBytes(value); }
size_t BytesFieldBytes(const std::string& value) {
  return value.empty() ? 0 : 1 + VarintBytes(value.size()) + value.size();
}

char* WriteVarintField(char tag, uint64_t value, char* out) {
  if (value == 0) return out;
  *out++ = tag;
  return WriteVarint(value, out);
}

// Protobuf writes an enum as an int32, sign-extended to 64 bits.
uint64_t EnumValue(int value) { return static_cast<uint64_t>(static_cast<int64_t>(value)); }

}  // namespace

bool HasUnknownFields(const pb::Session& session) {
  return !session.GetReflection()->GetUnknownFields(session).empty() ||
         !session.result().GetReflection()->GetUnknownFields(session.result()).empty();
}

std::string EncodeSession(const pb::Session& session) {
  const pb::Result& result = session.result();
  const uint64_t code = EnumValue(result.code());
  const size_t result_bytes =
      VarintFieldBytes(code) + BytesFieldBytes(result.value()) + (result.found() ? 2 : 0);
  // A set message field is written even when empty.
  const size_t total = VarintFieldBytes(session.sequence()) +
                       (session.has_result() ? 1 + VarintBytes(result_bytes) + result_bytes : 0) +
                       VarintFieldBytes(session.last_index());
  std::string bytes(total, '\0');
  char* out = bytes.data();
  out = WriteVarintField(Tag(1, kVarint), session.sequence(), out);
  if (session.has_result()) {
    *out++ = Tag(2, kLengthDelimited);
    out = WriteVarint(result_bytes, out);
    out = WriteVarintField(Tag(1, kVarint), code, out);
    if (!result.value().empty()) {
      *out++ = Tag(2, kLengthDelimited);
      out = WriteVarint(result.value().size(), out);
      out = std::copy(result.value().begin(), result.value().end(), out);
    }
    if (result.found()) {
      *out++ = Tag(3, kVarint);
      *out++ = 1;
    }
  }
  out = WriteVarintField(Tag(3, kVarint), session.last_index(), out);
  KV_CHECK(out == bytes.data() + bytes.size());
  return bytes;
}

}  // namespace kv::node
