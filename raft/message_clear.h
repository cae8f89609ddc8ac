#pragma once
// Clearing a raft::Message for reuse, inline (layer: raft/, used by the
// node's message reader too).
//
// Reused messages are cleared once per message sent (the core's outgoing
// pool, Raft::Enqueue) and once per message received (the peer batch
// reader). The generated Message::Clear() is an out-of-line call that
// makes another (the snapshot data's ClearToEmpty) even when the string is
// already empty, as it nearly always is; these do the same work inline and
// skip what is already clear. They also bound what a reused message keeps
// (kept_buffer.h).

#include "raft/kept_buffer.h"
#include "raft/raft.pb.h"
#include "raft/unknown_fields.h"

namespace kv::raft {

// Clear()'s effect on the snapshot data and metadata, except that a huge
// snapshot data buffer is released rather than kept (kept_buffer.h).
inline void ClearSnapshotFields(Message& message) {
  if (!message.snapshot_data().empty()) {
    message.clear_snapshot_data();
    ReleaseIfHuge(*message.mutable_snapshot_data());
  }
  if (message.has_snapshot_metadata()) message.clear_snapshot_metadata();
}

// Leaves `message` as Clear() does: equal to a fresh message, its entry
// objects kept, except that huge data buffers are released rather than
// kept (kept_buffer.h): a cleared message is one being reused.
inline void ClearMessage(Message& message) {
  // Only protobuf's own Clear() drops unknown fields.
  if (HasUnknownFields(message)) {
    ReleaseIfHuge(message);
    message.Clear();
    return;
  }
  // Clears the entry objects, which are kept for add_entries(), as
  // Clear() keeps them; bounded first, as they are out of sight once
  // cleared. Tested first: most messages carry no entries.
  if (message.entries_size() != 0) {
    for (Entry& entry : *message.mutable_entries()) ReleaseIfHuge(entry);
    message.clear_entries();
  }
  ClearSnapshotFields(message);
  message.set_type(MSG_NONE);
  message.set_from(0);
  message.set_to(0);
  message.set_term(0);
  message.set_log_term(0);
  message.set_index(0);
  message.set_commit(0);
  message.set_reject(false);
  message.set_reject_hint(0);
  message.set_transfer(false);
  message.set_heartbeat_seq(0);
  message.set_snapshot_offset(0);
  message.set_snapshot_done(false);
}

}  // namespace kv::raft
