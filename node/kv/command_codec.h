#pragma once
// The serialized form of a client command (pb::Command), written from its
// fields without a protobuf object or protobuf's serializer. Layer: node.
//
// Every write was serialized twice by protobuf: by the client, inside its
// request, and by the leader, as the data of the Raft entry it proposes.
// Building a pb::Command only to serialize it (allocating and copying its
// strings) and protobuf's generic serializer were about 1.5% of a whole
// simulation. The bytes are exactly those protobuf's SerializeAsString
// writes for a command without unknown fields (proto3: fields in number
// order, zero numbers and empty strings omitted).

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "node/kv/kv.pb.h"

namespace kv::node {

// A command's fields, viewing strings the caller keeps alive while it is
// encoded.
struct CommandFields {
  uint64_t client_id = 0;
  uint64_t sequence = 0;
  pb::Op op = pb::OP_UNKNOWN;
  absl::string_view key;
  absl::string_view value;
  absl::string_view expected;
  bool expect_absent = false;
};

// Equals the SerializeAsString() of a pb::Command holding `command`.
std::string EncodeCommand(const CommandFields& command);

// Equals command.SerializeAsString(): by EncodeCommand when the command
// holds no field this version does not know, by protobuf otherwise (which
// writes those fields back).
std::string SerializeCommand(const pb::Command& command);

// Equals EncodeClientRequest(request_id, <a pb::Command holding `command`>,
// shard) (client_message_codec.h): NodeMessage{request: ClientRequest{
// request_id, command, shard}}.
std::string EncodeClientRequest(uint64_t request_id, const CommandFields& command, uint64_t shard);

}  // namespace kv::node
