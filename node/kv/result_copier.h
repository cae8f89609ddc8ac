#pragma once
// Copies a pb::Result field by field, as protobuf's CopyFrom would, for the
// state machine, which keeps each client's last result in its session
// record (kv_state_machine.h). Layer: node.

#include "node/kv/kv.pb.h"
#include "raft/unknown_fields.h"

namespace kv::node {

// Makes `to` equal to `from`, as `to = from` (Result::CopyFrom) does; `to`'s
// value string keeps its capacity. Field by field when neither holds
// unknown fields (a result only carries them if protobuf parsed them from a
// session some other version stored): the generated CopyFrom, a Clear()
// and then a generic MergeFrom(), cost three times as much, once per
// applied write. Otherwise CopyFrom, which copies those fields too. Inline:
// a copy is a few stores and at most one string assignment.
inline void CopyResult(const pb::Result& from, pb::Result& to) {
  if (raft::HasUnknownFields(from) || raft::HasUnknownFields(to)) [[unlikely]] {
    to = from;
    return;
  }
  to.set_code(from.code());
  // Like CopyFrom, which leaves an empty value cleared rather than set:
  // set_value would allocate a string for it.
  if (from.value().empty()) {
    to.clear_value();
  } else {
    to.set_value(from.value());
  }
  to.set_found(from.found());
}

}  // namespace kv::node
