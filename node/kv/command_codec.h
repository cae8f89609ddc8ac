#pragma once
// The serialized form of a client command (pb::Command), written from its
// fields without a protobuf object or protobuf's serializer (by
// command_writer.h). Layer: node. A client request holding a command is
// written from its fields by client_message_codec.h.
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
#include "node/kv/command_writer.h"
#include "node/kv/kv.pb.h"

namespace kv::node {

// Equals the SerializeAsString() of a pb::Command holding `command`.
std::string EncodeCommand(const CommandFields& command);

// Equals command.SerializeAsString(): by EncodeCommand when the command
// holds no field this version does not know, by protobuf otherwise (which
// writes those fields back).
std::string SerializeCommand(const pb::Command& command);

// Whether `bytes` equal EncodeCommand(command), given that the hand reader
// (ReadCommandFields, log_payload_reader.h) accepted them as `command`:
// then a leader can propose the bytes a client sent as they are, instead of
// encoding the command they hold again (about 400 instructions per write).
// Costs a size computation and a comparison or two, not an encoding.
bool IsEncodedCommand(absl::string_view bytes, const CommandFields& command);

}  // namespace kv::node
