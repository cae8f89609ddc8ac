#include "raft/entry_copier.h"

#include "raft/unknown_fields.h"

namespace kv::raft {

void EntryCopier::Copy(const Entry& from, Entry& to) const {
  if (HasUnknownFields(from) || HasUnknownFields(to)) {
    to = from;
    return;
  }
  to.set_term(from.term());
  to.set_index(from.index());
  to.set_type(from.type());
  // Like CopyFrom, which leaves an empty data field cleared rather than
  // set: mutable_data() would allocate a string for it.
  if (from.data().empty()) {
    to.clear_data();
  } else {
    to.mutable_data()->assign(from.data());
  }
}

}  // namespace kv::raft
