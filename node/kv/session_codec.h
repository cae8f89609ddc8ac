#pragma once
// The stored form of a client's session record, written without protobuf's
// serializer. Layer: node.
//
// Every applied write stores its client's session (kv_state_machine.h), and
// protobuf's generic SerializeAsString was about 1% of a whole simulation.
// The bytes are exactly those SerializeAsString produces for a session
// without unknown fields; one with them (possible only if read from a
// record some other version wrote) is left to protobuf, which writes those
// fields back too. The caller asks which once, when it loads sessions:
// nothing it writes afterwards adds unknown fields.

#include <cstdint>
#include <string>

#include "node/kv/kv.pb.h"

namespace kv::node {

// Whether `session` or its result holds fields this version does not know.
bool HasUnknownFields(const pb::Session& session);

// Sets `bytes` to the stored form of the session {sequence, result,
// last_index} whose result is set (every recorded session's is): what
// SerializeAsString() writes for such a pb::Session if !HasUnknownFields.
// Replaces what `bytes` held, reusing its buffer: the state machine stores
// a session per applied write, from the fields it has just set.
void EncodeSessionInto(uint64_t sequence, const pb::Result& result, uint64_t last_index,
                       std::string& bytes);

}  // namespace kv::node
