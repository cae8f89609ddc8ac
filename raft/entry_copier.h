#pragma once
// Copies raft::Entry objects for the Raft log (layer: raft/): unstable
// entries into a Ready, and entries into a MSG_APP, about one copy per entry
// persisted and one per entry sent.

#include "raft/entry_data.h"
#include "raft/raft.pb.h"
#include "raft/unknown_fields.h"

namespace kv::raft {

class EntryCopier {
 public:
  // Makes `to` equal to `from`, as `to = from` (Entry::CopyFrom) does;
  // `to`'s data string keeps its capacity. Field by field when neither
  // holds unknown fields (entries only carry them if protobuf's parser
  // read them off the wire): the generated CopyFrom, a Clear() and then a
  // generic MergeFrom(), cost several times more. Otherwise CopyFrom.
  // Inline: a copy is a few stores and one string assignment, and the call
  // showed beside them.
  void Copy(const Entry& from, Entry& to) const {
    if (HasUnknownFields(from) || HasUnknownFields(to)) {
      to = from;
      return;
    }
    to.set_term(from.term());
    to.set_index(from.index());
    to.set_type(from.type());
    // Like CopyFrom, which leaves an empty data field cleared rather than
    // set: MutableData() would allocate a string for it.
    if (from.data().empty()) {
      to.clear_data();
    } else {
      MutableData(to).assign(from.data());
    }
  }
};

}  // namespace kv::raft
