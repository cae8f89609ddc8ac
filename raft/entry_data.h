#pragma once
// Writable access to an entry's data string without a library call in the
// usual case (layer: raft/, used by the node's entry reader too).
//
// Entries are refilled in place about three times per entry replicated:
// copied into a MSG_APP and into a Ready (EntryCopier), and decoded off the
// wire and out of the log (ReadEntry). Each wrote through mutable_data(),
// whose ArenaStringPtr::Mutable is an out-of-line protobuf call that asks
// whether the field still points at the shared empty default, and hands
// back the string the entry already owns when it does not, as a refilled
// entry nearly always does. Asked inline, the answer costs a comparison.

#include <string>

#include "raft/raft.pb.h"

namespace kv::raft {

// The entry's own data string, to write in place (its capacity is kept).
// The same string mutable_data() returns, and with the same effect: the
// data field is set (an empty field allocates its string then, as
// mutable_data() does).
inline std::string& MutableData(Entry& entry) {
  const std::string& data = entry.data();
  // Off an arena, a string field either points at the default instance's
  // (the shared empty string, which must never be written) or at a string
  // the message allocated and owns, which is what mutable_data() returns
  // for it. An arena may hold strings protobuf treats as fixed, so an
  // entry on one always goes through mutable_data().
  if (&data != &Entry::default_instance().data() && entry.GetArena() == nullptr) {
    return const_cast<std::string&>(data);
  }
  return *entry.mutable_data();
}

}  // namespace kv::raft
