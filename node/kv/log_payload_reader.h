#pragma once
// Reads what the Raft log holds (stored entries, and the commands they
// carry) without protobuf's parser. Layer: node.
//
// Every committed entry is read back from the log and parsed before it is
// applied; protobuf's generic parser was about 1% of a whole simulation.
// Like the client message readers (client_message_codec.h), this accepts
// only the form protobuf's serializer emits (fields in number order, each at
// most once, one-byte tags, entry types protobuf's own enum knows, no
// unknown fields) and declines the rest, which the caller then parses with
// protobuf, so that what is accepted, and how, stays protobuf's.

#include "absl/strings/string_view.h"
#include "node/kv/command_writer.h"
#include "node/kv/kv.pb.h"
#include "raft/raft.pb.h"

namespace kv::node {

// Decodes `bytes` into `entry` if they are a raft::Entry in protobuf's
// serialized form. Every field is set (to 0 or empty where absent), so a
// reused entry needs no Clear() first and keeps its data string's capacity.
// Precondition: `entry` holds no unknown fields (it is fresh, cleared, or
// last written by this function); they would be kept. Returns false
// otherwise, possibly with `entry` partly set: the caller must then parse
// `bytes` with protobuf, which clears it first.
[[nodiscard]] bool ReadEntry(absl::string_view bytes, raft::Entry& entry);

// The same for a command (an entry's data), which is applied on every
// replica. Clears `command` first; its strings keep their capacity, so a
// reused command decodes without allocating.
[[nodiscard]] bool ReadCommand(absl::string_view bytes, pb::Command& command);

// The same, leaving the command's strings in `bytes` (which must outlive
// `command`'s views) instead of copying them into a message: the state
// machine applies each committed command from these. Sets every field of
// `command`; accepts and declines exactly what ReadCommand does.
[[nodiscard]] bool ReadCommandFields(absl::string_view bytes, CommandFields& command);

}  // namespace kv::node
