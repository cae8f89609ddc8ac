#include "node/kv/raft_message_codec.h"

#include "raft/unknown_fields.h"

namespace kv::node::raft_message_wire {

// The writer and the reader are inline, in the header; the reader's rare
// part is here.
bool ReadSnapshotMetadata(absl::string_view bytes, raft::Message& message) {
  raft::SnapshotMetadata& metadata = *message.mutable_snapshot_metadata();
  return metadata.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
         !raft::HasUnknownFields(metadata) && !raft::HasUnknownFields(metadata.conf_state());
}

}  // namespace kv::node::raft_message_wire
