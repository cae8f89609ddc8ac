#include "node/kv/client_message_codec.h"

#include <optional>

#include "node/env/check.h"
#include "node/kv/command_codec.h"
#include "node/kv/command_writer.h"
#include "node/kv/log_payload_reader.h"
#include "node/kv/result_writer.h"
#include "node/kv/wire_bytes.h"
#include "node/kv/wire_field_reader.h"
#include "raft/unknown_fields.h"

namespace kv::node {
namespace {

using wire::kLengthDelimited;
using wire::kVarint;
using wire::BytesFieldBytes;
using wire::Tag;
using wire::VarintBytes;
using wire::VarintFieldBytes;
using wire::WriteBytesField;
using wire::WriteVarint;
using wire::WriteVarintField;

constexpr char kRequestTag = Tag(2, kLengthDelimited);   // NodeMessage.request
constexpr char kResponseTag = Tag(3, kLengthDelimited);  // NodeMessage.response

// A message field that is set (so written even when empty). Its
// ByteSizeLong() must have been called last, as protobuf's serializer does.
char* WriteMessageField(char tag, const google::protobuf::MessageLite& message, char* out) {
  const size_t bytes = message.GetCachedSize();
  *out++ = tag;
  out = WriteVarint(bytes, out);
  return reinterpret_cast<char*>(message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out)));
}

// Wraps a body of `body_bytes` in the NodeMessage field `tag`, in `bytes`
// (resized, not cleared: every byte is written over); `write` fills the
// body in and returns where it ended.
template <typename Write>
void EnvelopeInto(char tag, size_t body_bytes, Write write, std::string& bytes) {
  bytes.resize(1 + VarintBytes(body_bytes) + body_bytes);
  char* out = bytes.data();
  *out++ = tag;
  out = WriteVarint(body_bytes, out);
  out = write(out);
  KV_CHECK(out == bytes.data() + bytes.size());
}

// The same, in a new string.
template <typename Write>
std::string Envelope(char tag, size_t body_bytes, Write write) {
  std::string bytes;
  EnvelopeInto(tag, body_bytes, write, bytes);
  return bytes;
}

// The most a ClientResponse body (without an error text) takes besides
// its result's value: the request id and leader hint fields, the result's
// tag and length, and its code (an enum: ten bytes if negative), the
// value's tag and length, and the found bool.
constexpr size_t kMaxResponseBodyBytesBesidesValue =
    2 * (1 + wire::kMaxVarintBytes) + 2 + (1 + wire::kMaxVarintBytes) + 2 + 2;
// Values up to this size leave both the body's and the result's length one
// byte long.
constexpr size_t kMaxShortResponseValueBytes = 0x7f - kMaxResponseBodyBytesBesidesValue;
static_assert(kMaxShortResponseValueBytes == 88);  // Values of a few dozen bytes, the usual ones, fit.

// The frame both short encoders write into `buffer`: the frame's tag and
// one-byte length, then a body of field 1 (`field1`), field 2 (a nested
// message that `write_nested(begin)` writes, returning its end, after a
// one-byte length) and field 3 (`field3`). Returns the frame's size.
template <typename WriteNested>
size_t WriteShortFrame(char (&buffer)[2 + 0x7f], char frame_tag, uint64_t field1,
                       WriteNested write_nested, uint64_t field3) {
  char* const body = buffer + 2;
  char* out = WriteVarintField(Tag(1, kVarint), field1, body);
  *out++ = Tag(2, kLengthDelimited);
  char* const nested_begin = out + 1;
  out = write_nested(nested_begin);
  nested_begin[-1] = static_cast<char>(out - nested_begin);
  out = WriteVarintField(Tag(3, kVarint), field3, out);
  const size_t body_bytes = static_cast<size_t>(out - body);
  KV_CHECK_LE(body_bytes, size_t{0x7f});
  buffer[0] = frame_tag;
  buffer[1] = static_cast<char>(body_bytes);
  return 2 + body_bytes;
}

// EncodeClientResponse for a result without unknown fields, with a value
// of at most kMaxShortResponseValueBytes, and no error text: nearly every
// response. Written after one-byte lengths, which are filled in once the
// body is written, rather than sized field by field first.
std::string EncodeShortClientResponse(uint64_t request_id, const pb::Result& result, uint64_t leader_hint) {
  char bytes[2 + 0x7f];
  const size_t size = WriteShortFrame(
      bytes, kResponseTag, request_id, [&](char* out) { return WriteResult(result, out); },
      leader_hint);
  return std::string(bytes, size);
}

// The most a ClientRequest body takes besides its command's strings: the
// request id and shard fields, the command's tag and length, its client
// id, sequence and op (an enum: ten bytes if negative) fields, its three
// strings' tags and lengths, and the expect_absent bool.
constexpr size_t kMaxRequestBodyBytesBesidesStrings =
    2 * (1 + wire::kMaxVarintBytes) + 2 + 3 * (1 + wire::kMaxVarintBytes) + 3 * 2 + 2;
// Strings up to this size in all leave the body's, the command's and each
// string's length one byte long.
constexpr size_t kMaxShortRequestStringBytes = 0x7f - kMaxRequestBodyBytesBesidesStrings;
static_assert(kMaxShortRequestStringBytes == 62);  // A read's key, and a short write's, fit.

// EncodeClientRequestInto for a command whose strings take at most
// kMaxShortRequestStringBytes: most requests. Written after one-byte
// lengths, which are filled in once the body is written, rather than sized
// field by field first (a tenth of a request's writing), then copied into
// `bytes`.
void EncodeShortClientRequestInto(uint64_t request_id, const CommandFields& command, uint64_t shard,
                                  std::string& bytes) {
  char buffer[2 + 0x7f];
  const size_t size = WriteShortFrame(
      buffer, kRequestTag, request_id, [&](char* out) { return WriteCommand(command, out); }, shard);
  bytes.assign(buffer, size);
}

// ReadResult's body, inline into the response reader: a call per response
// cost a tenth of its reading.
[[gnu::always_inline]] inline bool ReadResultInline(absl::string_view bytes, pb::Result& result) {
  // Every field is set below, to proto3's default where it is absent, in
  // place of a Clear() first (an out-of-line call, a second one for the
  // value). Only Clear() drops unknown fields, which a result protobuf
  // parsed into (a declined one) may hold.
  if (raft::HasUnknownFields(result)) [[unlikely]] result.Clear();
  // As ReadCommand reads a command (log_payload_reader.cc).
  wire::FieldReader reader(bytes);
  const uint64_t code = reader.Take(Tag(1, kVarint)) ? reader.Varint() : 0;
  if (!wire::IsEnumValue(code, pb::Code_MAX)) return false;
  result.set_code(static_cast<pb::Code>(code));
  if (reader.Take(Tag(2, kLengthDelimited))) {
    const absl::string_view value = reader.LengthDelimited();
    // Assigned in place, reusing the string's capacity.
    result.mutable_value()->assign(value.data(), value.size());
  } else if (!result.value().empty()) {
    result.clear_value();
  }
  // Protobuf writes a set bool as 1.
  const uint64_t found = reader.Take(Tag(3, kVarint)) ? reader.Varint() : 0;
  if (found > 1) return false;
  result.set_found(found != 0);
  return reader.Finished();
}

}  // namespace

void EncodeClientRequestInto(uint64_t request_id, const CommandFields& command, uint64_t shard,
                             std::string& bytes) {
  if (command.key.size() + command.value.size() + command.expected.size() <= kMaxShortRequestStringBytes)
      [[likely]] {
    return EncodeShortClientRequestInto(request_id, command, shard, bytes);
  }
  // ClientRequest's fields in field order; the command is always set (a set
  // message field is written even when empty).
  const size_t command_bytes = CommandBytes(command);
  const size_t body_bytes = VarintFieldBytes(request_id) + 1 + VarintBytes(command_bytes) + command_bytes +
                            VarintFieldBytes(shard);
  EnvelopeInto(
      kRequestTag, body_bytes,
      [&](char* out) {
        out = WriteVarintField(Tag(1, kVarint), request_id, out);
        *out++ = Tag(2, kLengthDelimited);
        out = WriteCommand(command, WriteVarint(command_bytes, out));
        return WriteVarintField(Tag(3, kVarint), shard, out);
      },
      bytes);
}

std::string EncodeClientRequest(uint64_t request_id, const CommandFields& command, uint64_t shard) {
  std::string bytes;
  EncodeClientRequestInto(request_id, command, shard, bytes);
  return bytes;
}

std::string EncodeClientRequest(uint64_t request_id, const pb::Command& command, uint64_t shard) {
  // Written by hand unless it holds unknown fields (as EncodeClientResponse).
  if (!raft::HasUnknownFields(command)) return EncodeClientRequest(request_id, FieldsOf(command), shard);
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
  // Written by hand unless it holds unknown fields, told by the metadata
  // bit (raft/unknown_fields.h): comparing protobuf's ByteSizeLong with
  // ours cost a call per reply. Protobuf writes the rest, after sizing
  // the result as its serializer needs.
  const bool by_hand = !raft::HasUnknownFields(result);
  if (by_hand && error.empty() && result.value().size() <= kMaxShortResponseValueBytes) [[likely]] {
    return EncodeShortClientResponse(request_id, result, leader_hint);
  }
  const size_t result_bytes = by_hand ? ResultBytes(result) : result.ByteSizeLong();
  const size_t body_bytes = VarintFieldBytes(request_id) + 1 + VarintBytes(result_bytes) + result_bytes +
                            VarintFieldBytes(leader_hint) + BytesFieldBytes(error);
  return Envelope(kResponseTag, body_bytes, [&](char* out) {
    out = WriteVarintField(Tag(1, kVarint), request_id, out);
    if (by_hand) {
      *out++ = Tag(2, kLengthDelimited);
      out = WriteResult(result, WriteVarint(result_bytes, out));
    } else {
      out = WriteMessageField(Tag(2, kLengthDelimited), result, out);
    }
    out = WriteVarintField(Tag(3, kVarint), leader_hint, out);
    return WriteBytesField(Tag(4, kLengthDelimited), error, out);
  });
}

bool ReadResult(absl::string_view bytes, pb::Result& result) { return ReadResultInline(bytes, result); }

bool IsClientRequestEnvelope(absl::string_view bytes) {
  return wire::OpenField(bytes, kRequestTag).has_value();
}

bool ClientRequestReader::Read(absl::string_view bytes) {
  const std::optional<absl::string_view> body = wire::OpenField(bytes, kRequestTag);
  if (!body.has_value()) return false;
  // ClientRequest's fields in number order (see wire_field_reader.h).
  wire::FieldReader reader(*body);
  request_id_ = reader.Take(Tag(1, kVarint)) ? reader.Varint() : 0;
  command_bytes_ = absl::string_view();
  parsed_by_protobuf_ = false;
  if (reader.Take(Tag(2, kLengthDelimited))) {
    command_bytes_ = reader.LengthDelimited();
    // A command the hand reader declines may still be valid: protobuf
    // decides, as it would inside the whole message.
    if (!ReadCommandFields(command_bytes_, command_)) {
      if (!parsed_.ParseFromArray(command_bytes_.data(), static_cast<int>(command_bytes_.size()))) {
        return false;
      }
      parsed_by_protobuf_ = true;
      command_ = FieldsOf(parsed_);
    }
  } else {
    command_ = CommandFields{};
  }
  shard_ = reader.Take(Tag(3, kVarint)) ? reader.Varint() : 0;
  return reader.Finished();  // Anything else, protobuf decides.
}

std::string ClientRequestReader::SerializedCommand() const {
  // Only what protobuf parsed can hold unknown fields, which it writes back.
  if (parsed_by_protobuf_) return SerializeCommand(parsed_);
  if (IsEncodedCommand(command_bytes_, command_)) return std::string(command_bytes_);
  return EncodeCommand(command_);
}

bool ClientResponseReader::Read(absl::string_view bytes) { return ReadInto(bytes, result_); }

bool ClientResponseReader::ReadInto(absl::string_view bytes, pb::Result& result) {
  const std::optional<absl::string_view> body = wire::OpenField(bytes, kResponseTag);
  if (!body.has_value()) return false;
  // As ClientRequestReader::Read.
  wire::FieldReader reader(*body);
  request_id_ = reader.Take(Tag(1, kVarint)) ? reader.Varint() : 0;
  if (reader.Take(Tag(2, kLengthDelimited))) {
    const absl::string_view result_bytes = reader.LengthDelimited();
    if (!ReadResultInline(result_bytes, result) &&
        !result.ParseFromArray(result_bytes.data(), static_cast<int>(result_bytes.size()))) {
      return false;
    }
  } else {
    result.Clear();
  }
  leader_hint_ = reader.Take(Tag(3, kVarint)) ? reader.Varint() : 0;
  return reader.Finished();  // Including an error text: see the header.
}

}  // namespace kv::node
