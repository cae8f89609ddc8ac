#include "node/kv/command_codec.h"

#include <cstddef>

#include "node/env/check.h"
#include "raft/unknown_fields.h"

namespace kv::node {
std::string EncodeCommand(const CommandFields& command) {
  std::string bytes(CommandBytes(command), '\0');
  char* const out = WriteCommand(command, bytes.data());
  KV_CHECK(out == bytes.data() + bytes.size());
  return bytes;
}

std::string SerializeCommand(const pb::Command& command) {
  // Told by the metadata bit (raft/unknown_fields.h), which answers a
  // command that never held unknown fields without a call.
  if (raft::HasUnknownFields(command)) return command.SerializeAsString();
  return EncodeCommand(FieldsOf(command));
}

bool IsEncodedCommand(absl::string_view bytes, const CommandFields& command) {
  // The reader takes the fields in number order, each at most once, so each
  // field of `bytes` takes at least the bytes of its canonical form, and one
  // that form omits (a zero, an empty string) takes some: the sizes are
  // equal only if every field is in its canonical form, the one exception
  // being a ten-byte varint. Its last byte holds the number's top bit, and
  // the reader, as protobuf, drops the six bits above it, so it may differ
  // from the canonical 0x01 at the same size.
  if (bytes.size() != CommandBytes(command)) return false;
  // A varint takes ten bytes only from 2^63 on: most commands have none.
  if (((command.client_id | command.sequence | wire::EnumValue(command.op)) >> 63) == 0) return true;
  size_t end = 0;  // Where the varint field being looked at ends.
  for (const uint64_t value : {command.client_id, command.sequence, wire::EnumValue(command.op)}) {
    if (value == 0) continue;  // Omitted.
    const size_t value_bytes = wire::VarintBytes(value);
    end += 1 + value_bytes;
    if (static_cast<ptrdiff_t>(value_bytes) == wire::kMaxVarintBytes && bytes[end - 1] != '\x01') return false;
  }
  return true;
}

}  // namespace kv::node
