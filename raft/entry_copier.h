#pragma once
// Copies raft::Entry objects for the Raft log (layer: raft/): unstable
// entries into a Ready, and entries into a MSG_APP, about one copy per entry
// persisted and one per entry sent.

#include "raft/raft.pb.h"

namespace kv::raft {

class EntryCopier {
 public:
  // Makes `to` equal to `from`, as `to = from` (Entry::CopyFrom) does;
  // `to`'s data string keeps its capacity. Field by field when neither
  // holds unknown fields (entries only carry them if protobuf's parser
  // read them off the wire): the generated CopyFrom, a Clear() and then a
  // generic MergeFrom(), cost several times more. Otherwise CopyFrom.
  void Copy(const Entry& from, Entry& to) const;
};

}  // namespace kv::raft
