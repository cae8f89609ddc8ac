#include "node/kv/command_codec.h"

#include <algorithm>

#include "node/env/check.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {
namespace {

using wire::kLengthDelimited;
using wire::kVarint;
using wire::Tag;
using wire::VarintBytes;
using wire::WriteVarint;

// NodeMessage.request, as client_message_codec.cc writes it.
constexpr char kRequestTag = Tag(2, kLengthDelimited);

// Proto3 omits zero scalars and empty strings.
size_t VarintFieldBytes(uint64_t value) { return value == 0 ? 0 : 1 + VarintBytes(value); }
size_t BytesFieldBytes(absl::string_view value) {
  return value.empty() ? 0 : 1 + VarintBytes(value.size()) + value.size();
}

char* WriteVarintField(char tag, uint64_t value, char* out) {
  if (value == 0) return out;
  *out++ = tag;
  return WriteVarint(value, out);
}

char* WriteBytesField(char tag, absl::string_view value, char* out) {
  if (value.empty()) return out;
  *out++ = tag;
  out = WriteVarint(value.size(), out);
  return std::copy(value.begin(), value.end(), out);
}

// Protobuf writes an enum as an int32, sign-extended to 64 bits.
uint64_t EnumValue(int value) { return static_cast<uint64_t>(static_cast<int64_t>(value)); }

size_t CommandBytes(const CommandFields& c) {
  return VarintFieldBytes(c.client_id) + VarintFieldBytes(c.sequence) + VarintFieldBytes(EnumValue(c.op)) +
         BytesFieldBytes(c.key) + BytesFieldBytes(c.value) + BytesFieldBytes(c.expected) +
         (c.expect_absent ? 2 : 0);
}

char* WriteCommand(const CommandFields& c, char* out) {
  out = WriteVarintField(Tag(1, kVarint), c.client_id, out);
  out = WriteVarintField(Tag(2, kVarint), c.sequence, out);
  out = WriteVarintField(Tag(3, kVarint), EnumValue(c.op), out);
  out = WriteBytesField(Tag(4, kLengthDelimited), c.key, out);
  out = WriteBytesField(Tag(5, kLengthDelimited), c.value, out);
  out = WriteBytesField(Tag(6, kLengthDelimited), c.expected, out);
  if (c.expect_absent) {
    *out++ = Tag(7, kVarint);
    *out++ = 1;  // Protobuf writes a set bool as 1.
  }
  return out;
}

}  // namespace

std::string EncodeCommand(const CommandFields& command) {
  std::string bytes(CommandBytes(command), '\0');
  char* const out = WriteCommand(command, bytes.data());
  KV_CHECK(out == bytes.data() + bytes.size());
  return bytes;
}

std::string SerializeCommand(const pb::Command& command) {
  CommandFields fields;
  fields.client_id = command.client_id();
  fields.sequence = command.sequence();
  fields.op = command.op();
  fields.key = command.key();
  fields.value = command.value();
  fields.expected = command.expected();
  fields.expect_absent = command.expect_absent();
  // Unknown fields take at least a byte each (their tag), so the sizes
  // differ exactly when there are some. Asking reflection cost three times
  // as much as this.
  if (command.ByteSizeLong() != CommandBytes(fields)) return command.SerializeAsString();
  return EncodeCommand(fields);
}

std::string EncodeClientRequest(uint64_t request_id, const CommandFields& command, uint64_t shard) {
  // ClientRequest's fields in field order; the command is always set (a
  // set message field is written even when empty).
  const size_t command_bytes = CommandBytes(command);
  const size_t body_bytes = VarintFieldBytes(request_id) + 1 + VarintBytes(command_bytes) + command_bytes +
                            VarintFieldBytes(shard);
  std::string bytes(1 + VarintBytes(body_bytes) + body_bytes, '\0');
  char* out = bytes.data();
  *out++ = kRequestTag;
  out = WriteVarint(body_bytes, out);
  out = WriteVarintField(Tag(1, kVarint), request_id, out);
  *out++ = Tag(2, kLengthDelimited);
  out = WriteVarint(command_bytes, out);
  out = WriteCommand(command, out);
  out = WriteVarintField(Tag(3, kVarint), shard, out);
  KV_CHECK(out == bytes.data() + bytes.size());
  return bytes;
}

}  // namespace kv::node
