#pragma once
// Writes what the Raft log holds (a stored entry) without protobuf's
// serializer: the counterpart of log_payload_reader.h. Layer: node.
//
// Every entry a replica appends is serialized for its log write, and
// protobuf's generic SerializeAsString was about 1% of a whole simulation.
// The bytes are exactly those SerializeAsString writes.

#include <string>

#include "raft/raft.pb.h"

namespace kv::node {

// Equals entry.SerializeAsString() if the entry holds no field this
// version does not know (those it leaves out).
std::string EncodeEntry(const raft::Entry& entry);

// Writes entry.SerializeAsString() over `out`, whose buffer is reused (a log
// write refilled for every Ready serializes without allocating): as
// EncodeEntry when the entry holds no field this version does not know, by
// protobuf otherwise (which writes those fields back).
void SerializeEntryInto(const raft::Entry& entry, std::string& out);

}  // namespace kv::node
