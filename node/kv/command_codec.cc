#include "node/kv/command_codec.h"

#include "node/env/check.h"

namespace kv::node {
std::string EncodeCommand(const CommandFields& command) {
  std::string bytes(CommandBytes(command), '\0');
  char* const out = WriteCommand(command, bytes.data());
  KV_CHECK(out == bytes.data() + bytes.size());
  return bytes;
}

std::string SerializeCommand(const pb::Command& command) {
  const CommandFields fields = FieldsOf(command);
  // Unknown fields take at least a byte each (their tag), so the sizes
  // differ exactly when there are some. Asking reflection cost three times
  // as much as this.
  if (command.ByteSizeLong() != CommandBytes(fields)) return command.SerializeAsString();
  return EncodeCommand(fields);
}

}  // namespace kv::node
