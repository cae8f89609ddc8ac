#include "node/kv/raft_message_codec.h"

#include <cstdint>

#include "node/kv/log_payload_reader.h"
#include "node/kv/wire_bytes.h"
#include "node/kv/wire_field_reader.h"
#include "raft/message_clear.h"

namespace kv::node {
namespace {

// The writer is inline, in the header; the reader is here.
using raft::HasUnknownFields;
using raft_message_wire::kEntriesField;
using raft_message_wire::kSnapshotDataField;
using raft_message_wire::kSnapshotDoneTag;
using raft_message_wire::kSnapshotMetadataField;
using wire::kLengthDelimited;
using wire::kVarint;
using wire::Tag;

// Parses snapshot metadata with protobuf, into the message's own, and
// declines what carries unknown fields: protobuf would keep them, and an
// unknown group nested deep enough is refused by the whole message's parse
// (its depth limit) but not by this fresh one.
bool ReadSnapshotMetadata(absl::string_view bytes, raft::Message& message) {
  raft::SnapshotMetadata& metadata = *message.mutable_snapshot_metadata();
  return metadata.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
         !HasUnknownFields(metadata) && !HasUnknownFields(metadata.conf_state());
}

// Reads the bool field `tag` if it comes next, into `value`; false if its
// value is not how protobuf writes a bool.
bool ReadBool(wire::FieldReader& reader, char tag, bool& value) {
  const uint64_t bits = reader.Take(tag) ? reader.Varint() : 0;
  value = bits != 0;
  return bits <= 1;
}

// The varint field `tag` if it comes next, else 0, as proto3 omits a zero.
uint64_t VarintOrZero(wire::FieldReader& reader, char tag) { return reader.Take(tag) ? reader.Varint() : 0; }

}  // namespace

bool ReadRaftMessage(absl::string_view bytes, raft::Message& message) {
  // What is not set field by field below; the message has no unknown
  // fields (the precondition), and Clear() cost more than the decoding.
  raft::ClearSnapshotFields(message);
  // Field by field in number order (see wire_field_reader.h). Every scalar
  // field is set, to 0 (proto3's default) where it is absent, in place of
  // Clear()ing them first.
  wire::FieldReader reader(bytes);
  const uint64_t type = VarintOrZero(reader, Tag(1, kVarint));
  if (!wire::IsEnumValue(type, raft::MessageType_MAX)) return false;
  message.set_type(static_cast<raft::MessageType>(type));
  message.set_from(VarintOrZero(reader, Tag(2, kVarint)));
  message.set_to(VarintOrZero(reader, Tag(3, kVarint)));
  message.set_term(VarintOrZero(reader, Tag(4, kVarint)));
  message.set_log_term(VarintOrZero(reader, Tag(5, kVarint)));
  message.set_index(VarintOrZero(reader, Tag(6, kVarint)));
  // Decoded over the message's entries (ReadEntry sets every field, and
  // they hold no unknown fields: the precondition), so that each keeps its
  // data string's capacity without the Clear() clear_entries() would make.
  int entry_count = 0;
  while (reader.Take(Tag(kEntriesField, kLengthDelimited))) {
    raft::Entry& entry =
        entry_count < message.entries_size() ? *message.mutable_entries(entry_count) : *message.add_entries();
    ++entry_count;
    if (!ReadEntry(reader.LengthDelimited(), entry)) return false;
  }
  // The rest are cleared and kept, for add_entries() to hand back.
  while (message.entries_size() > entry_count) message.mutable_entries()->RemoveLast();
  message.set_commit(VarintOrZero(reader, Tag(8, kVarint)));
  bool flag = false;
  if (!ReadBool(reader, Tag(9, kVarint), flag)) return false;
  message.set_reject(flag);
  message.set_reject_hint(VarintOrZero(reader, Tag(10, kVarint)));
  if (!ReadBool(reader, Tag(11, kVarint), flag)) return false;
  message.set_transfer(flag);
  message.set_heartbeat_seq(VarintOrZero(reader, Tag(12, kVarint)));
  if (reader.Take(Tag(kSnapshotMetadataField, kLengthDelimited)) &&
      !ReadSnapshotMetadata(reader.LengthDelimited(), message)) {
    return false;
  }
  message.set_snapshot_offset(VarintOrZero(reader, Tag(14, kVarint)));
  if (reader.Take(Tag(kSnapshotDataField, kLengthDelimited))) {
    // Assigned in place, to keep the string's capacity.
    const absl::string_view data = reader.LengthDelimited();
    message.mutable_snapshot_data()->assign(data.data(), data.size());
  }
  const uint64_t done = reader.Take(kSnapshotDoneTag[0], kSnapshotDoneTag[1]) ? reader.Varint() : 0;
  if (done > 1) return false;
  message.set_snapshot_done(done != 0);
  // A malformed value was met, or bytes are left that are not the next
  // field protobuf would write (a repeat, a reordering, an unknown field).
  return reader.Finished();
}

}  // namespace kv::node
