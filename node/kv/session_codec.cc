#include "node/kv/session_codec.h"

#include <cstdint>
#include <cstring>

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
  // Besides its value, a result takes at most its code (an enum: ten bytes
  // if negative) and found fields and the value's tag and one-byte length;
  // the session adds its two numbers and the result's tag and length.
  constexpr size_t kMaxResultBytesBesidesValue = (1 + wire::kMaxVarintBytes) + 2 + 2;
  constexpr size_t kMaxShortValueBytes = 0x7f - kMaxResultBytesBesidesValue;
  constexpr size_t kMaxShortSessionBytes = 2 * (1 + wire::kMaxVarintBytes) + 2 + 0x7f;
  if (result.value().size() <= kMaxShortValueBytes) [[likely]] {
    // Nearly every session: written after a one-byte result length, filled
    // in once the result is written, rather than sized field by field
    // first; then copied into `bytes` at its size.
    char buffer[kMaxShortSessionBytes];
    char* out = WriteVarintField(Tag(1, kVarint), sequence, buffer);
    *out++ = Tag(2, kLengthDelimited);
    char* const result_begin = out + 1;
    out = WriteResult(result, result_begin);
    const size_t result_bytes = static_cast<size_t>(out - result_begin);
    KV_CHECK_LE(result_bytes, size_t{0x7f});
    result_begin[-1] = static_cast<char>(result_bytes);
    out = WriteVarintField(Tag(3, kVarint), last_index, out);
    const size_t total = static_cast<size_t>(out - buffer);
    bytes.resize(total);
    std::memcpy(bytes.data(), buffer, total);
    return;
  }
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
