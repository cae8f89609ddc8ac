#include "node/kv/client_message_codec.h"

#include <algorithm>

#include "node/env/check.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {
namespace {

using wire::kLengthDelimited;
using wire::kVarint;
using wire::ReadLength;
using wire::ReadVarint;
using wire::Tag;
using wire::VarintBytes;
using wire::WriteVarint;

constexpr char kRequestTag = Tag(2, kLengthDelimited);   // NodeMessage.request
constexpr char kResponseTag = Tag(3, kLengthDelimited);  // NodeMessage.response

// The bytes of a varint field, omitted when zero as proto3 does.
size_t VarintFieldBytes(uint64_t value) { return value == 0 ? 0 : 1 + VarintBytes(value); }

char* WriteVarintField(char tag, uint64_t value, char* out) {
  if (value == 0) return out;
  *out++ = tag;
  return WriteVarint(value, out);
}

// A message field that is set (so written even when empty). Its
// ByteSizeLong() must have been called last, as protobuf's serializer does.
char* WriteMessageField(char tag, const google::protobuf::MessageLite& message, char* out) {
  const size_t bytes = message.GetCachedSize();
  *out++ = tag;
  out = WriteVarint(bytes, out);
  return reinterpret_cast<char*>(message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out)));
}

// Wraps a body of `body_bytes` in the NodeMessage field `tag`; `write` fills
// the body in and returns where it ended.
template <typename Write>
std::string Envelope(char tag, size_t body_bytes, Write write) {
  std::string bytes;
  bytes.resize(1 + VarintBytes(body_bytes) + body_bytes);
  char* out = bytes.data();
  *out++ = tag;
  out = WriteVarint(body_bytes, out);
  out = write(out);
  KV_CHECK(out == bytes.data() + bytes.size());
  return bytes;
}

// Reads a varint field's value once; false if seen before or malformed.
bool ReadVarintField(const char*& p, const char* end, bool& seen, uint64_t& value) {
  if (seen) return false;
  seen = true;
  return (p = ReadVarint(p, end, wire::kMaxVarintBytes, value)) != nullptr;
}

// Parses a message field into `message` once; false if seen before or malformed.
bool ReadMessageField(const char*& p, const char* end, bool& seen, google::protobuf::MessageLite& message) {
  if (seen) return false;
  seen = true;
  const char* field_end = nullptr;
  if ((p = ReadLength(p, end, field_end)) == nullptr) return false;
  if (!message.ParseFromArray(p, static_cast<int>(field_end - p))) return false;
  p = field_end;
  return true;
}

}  // namespace

std::string EncodeClientRequest(uint64_t request_id, const pb::Command& command, uint64_t shard) {
  // ClientRequest's fields in field order; the command is always set.
  const size_t command_bytes = command.ByteSizeLong();
  const size_t body_bytes = VarintFieldBytes(request_id) + 1 + VarintBytes(command_bytes) + command_bytes +
                            VarintFieldBytes(shard);
  return Envelope(kRequestTag, body_bytes, [&](char* out) {
    out = WriteVarintField(Tag(1, kVarint), request_id, out);
    out = WriteMessageField(Tag(2, kLengthDelimited), command, out);
    return WriteVarintField(Tag(3, kVarint), shard, out);
  });
}

std::string EncodeClientResponse(uint64_t request_id, const pb::Result& result, uint64_t leader_hint,
                                 absl::string_view error) {
  // ClientResponse's fields in field order; the result is always set.
  const size_t result_bytes = result.ByteSizeLong();
  const size_t error_bytes = error.empty() ? 0 : 1 + VarintBytes(error.size()) + error.size();
  const size_t body_bytes = VarintFieldBytes(request_id) + 1 + VarintBytes(result_bytes) + result_bytes +
                            VarintFieldBytes(leader_hint) + error_bytes;
  return Envelope(kResponseTag, body_bytes, [&](char* out) {
    out = WriteVarintField(Tag(1, kVarint), request_id, out);
    out = WriteMessageField(Tag(2, kLengthDelimited), result, out);
    out = WriteVarintField(Tag(3, kVarint), leader_hint, out);
    if (error.empty()) return out;
    *out++ = Tag(4, kLengthDelimited);
    out = WriteVarint(error.size(), out);
    return std::copy(error.begin(), error.end(), out);
  });
}

bool ClientRequestReader::Read(absl::string_view bytes) {
  const char* end = nullptr;
  const char* p = wire::OpenField(bytes, kRequestTag, end);
  if (p == nullptr) return false;
  request_id_ = 0;
  shard_ = 0;
  bool have_id = false, have_command = false, have_shard = false;
  while (p < end) {
    const char tag = *p++;
    bool ok = false;
    if (tag == Tag(1, kVarint)) {
      ok = ReadVarintField(p, end, have_id, request_id_);
    } else if (tag == Tag(2, kLengthDelimited)) {
      ok = ReadMessageField(p, end, have_command, command_);
    } else if (tag == Tag(3, kVarint)) {
      ok = ReadVarintField(p, end, have_shard, shard_);
    }
    if (!ok) return false;  // Malformed, or not protobuf's form: protobuf decides.
  }
  if (!have_command) command_.Clear();
  return true;
}

bool ClientResponseReader::Read(absl::string_view bytes) {
  const char* end = nullptr;
  const char* p = wire::OpenField(bytes, kResponseTag, end);
  if (p == nullptr) return false;
  request_id_ = 0;
  leader_hint_ = 0;
  bool have_id = false, have_result = false, have_hint = false;
  while (p < end) {
    const char tag = *p++;
    bool ok = false;
    if (tag == Tag(1, kVarint)) {
      ok = ReadVarintField(p, end, have_id, request_id_);
    } else if (tag == Tag(2, kLengthDelimited)) {
      ok = ReadMessageField(p, end, have_result, result_);
    } else if (tag == Tag(3, kVarint)) {
      ok = ReadVarintField(p, end, have_hint, leader_hint_);
    }
    if (!ok) return false;  // Including an error text: see the header.
  }
  if (!have_result) result_.Clear();
  return true;
}

}  // namespace kv::node
