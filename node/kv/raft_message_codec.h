#pragma once
// raft::Message in protobuf's wire form, written and read by hand for the
// peer batches (peer_batch_codec.h). Layer: node.
//
// Every Raft message between servers was sized, serialized and parsed by
// protobuf's generic code: about 5% of a simulation, more than the Raft
// handlers that consumed the messages. The writer emits exactly the bytes
// protobuf's serializer does. The reader accepts only that form (fields in
// number order, each at most once except consecutive entries, protobuf's
// tags, enum values protobuf's own enums know, bools written as 1, no
// unknown fields) and declines the rest, which the caller then parses with
// protobuf, so that what is accepted, and how, stays protobuf's.
//
// Snapshot metadata is rare (one per snapshot chunk) and nests a ConfState:
// both sides hand it to protobuf as a sub-message.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "absl/strings/string_view.h"
#include "node/kv/entry_writer.h"
#include "node/kv/log_payload_reader.h"
#include "node/kv/wire_bytes.h"
#include "node/kv/wire_field_reader.h"
#include "raft/message_clear.h"
#include "raft/raft.pb.h"
#include "raft/unknown_fields.h"

namespace kv::node {

// What the writer and the reader (both inline, below) share beyond
// the plain varint fields, whose numbers they spell out.
namespace raft_message_wire {
// raft::Message's fields that are not varints.
inline constexpr int kEntriesField = 7;
inline constexpr int kSnapshotMetadataField = 13;
inline constexpr int kSnapshotDataField = 15;
// Message.snapshot_done is field 16, the one field whose tag takes two
// bytes: the varint of 16 << 3.
inline constexpr int kSnapshotDoneField = 16;
inline constexpr char kSnapshotDoneTag[2] = {'\x80', '\x01'};
static_assert((kSnapshotDoneField << 3 | wire::kVarint) == (0x80 & 0x7f) + (0x01 << 7));
}  // namespace raft_message_wire

class RaftMessageWriter {
 public:
  // At least the serialized size of `message` (a bound, cheaper than the
  // size itself, which Write() then tells), or nullopt if the message or
  // one of its entries carries unknown fields, which only protobuf writes
  // back as they came. Like ByteSizeLong(), it caches the snapshot
  // metadata's size for Write().
  std::optional<size_t> MaxBytes(const raft::Message& message) const;

  // Writes `message` at `out` exactly as protobuf serializes it, and
  // returns the end of what it wrote. Precondition: MaxBytes(message)
  // returned a bound, the message has not changed since, and `out` has
  // room for that many bytes.
  char* Write(const raft::Message& message, char* out) const;

 private:
  // Bounds for MaxBytes(): a varint field takes at most a one-byte tag and
  // ten bytes; a bool, its tag and 1.
  static constexpr size_t kMaxVarintFieldBytes = 1 + wire::kMaxVarintBytes;
  // raft::Message's ten varint fields (all but the bools) and three bools,
  // one of them with a two-byte tag.
  static constexpr size_t kMaxScalarBytes = 10 * kMaxVarintFieldBytes + 2 * 2 + 3;
  // An entry's tag and length, its three varint fields, and its data's tag
  // and length.
  static constexpr size_t kMaxEntryBytesBesidesData =
      1 + wire::kMaxVarintBytes + 3 * kMaxVarintFieldBytes + 1 + wire::kMaxVarintBytes;
};

// Decodes `bytes` into `message` if they are a raft::Message in protobuf's
// serialized form. Precondition: neither `message` nor its entries hold
// unknown fields (it is fresh, cleared, or last written by this function;
// protobuf's parser keeps unknown fields, which this function does not
// clear). Clears `message` first; its entries, and their data strings, keep
// their storage, so a reused message decodes without allocating. Returns
// false otherwise, possibly with `message` partly set: the caller must then
// parse `bytes` with protobuf, which clears it first.
//
// Inline (below), into the peer batch reader's loop: the call, with the
// registers it saved and restored, cost a tenth of a message's decoding.
[[nodiscard, gnu::always_inline]] inline bool ReadRaftMessage(absl::string_view bytes, raft::Message& message);

namespace raft_message_wire {
// Parses snapshot metadata with protobuf, into the message's own, and
// declines what carries unknown fields: protobuf would keep them, and an
// unknown group nested deep enough is refused by the whole message's parse
// (its depth limit) but not by this fresh one. Out of line: one message in
// thousands carries metadata.
[[nodiscard]] bool ReadSnapshotMetadata(absl::string_view bytes, raft::Message& message);

// Reads the bool field `tag` if it comes next, into `value`; false if its
// value is not how protobuf writes a bool.
inline bool ReadBool(wire::FieldReader& reader, char tag, bool& value) {
  const uint64_t bits = reader.Take(tag) ? reader.Varint() : 0;
  value = bits != 0;
  return bits <= 1;
}

// The varint field `tag` if it comes next, else 0, as proto3 omits a zero.
inline uint64_t VarintOrZero(wire::FieldReader& reader, char tag) { return reader.Take(tag) ? reader.Varint() : 0; }
}  // namespace raft_message_wire

// Defined here, inline: the peer batch writer calls both for every message
// it sends, and the two calls cost a fifth of the writing.

inline std::optional<size_t> RaftMessageWriter::MaxBytes(const raft::Message& message) const {
  if (raft::HasUnknownFields(message)) [[unlikely]] return std::nullopt;
  size_t bytes = kMaxScalarBytes;
  for (const raft::Entry& entry : message.entries()) {
    if (raft::HasUnknownFields(entry)) [[unlikely]] return std::nullopt;
    bytes += kMaxEntryBytesBesidesData + entry.data().size();
  }
  if (message.has_snapshot_metadata()) {
    bytes += 1 + wire::kMaxVarintBytes + message.snapshot_metadata().ByteSizeLong();
  }
  return bytes + 1 + wire::kMaxVarintBytes + message.snapshot_data().size();
}

inline char* RaftMessageWriter::Write(const raft::Message& message, char* out) const {
  using raft_message_wire::kEntriesField;
  using raft_message_wire::kSnapshotDataField;
  using raft_message_wire::kSnapshotDoneTag;
  using raft_message_wire::kSnapshotMetadataField;
  using wire::EnumValue;
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  using wire::WriteBytesField;
  using wire::WriteVarint;
  using wire::WriteVarintField;
  // In field order, as protobuf writes them.
  out = WriteVarintField(Tag(1, kVarint), EnumValue(message.type()), out);
  out = WriteVarintField(Tag(2, kVarint), message.from(), out);
  out = WriteVarintField(Tag(3, kVarint), message.to(), out);
  out = WriteVarintField(Tag(4, kVarint), message.term(), out);
  out = WriteVarintField(Tag(5, kVarint), message.log_term(), out);
  out = WriteVarintField(Tag(6, kVarint), message.index(), out);
  for (const raft::Entry& entry : message.entries()) {
    *out++ = Tag(kEntriesField, kLengthDelimited);
    // Written after a one-byte length (most entries are that short) rather
    // than sized first, and moved up if its length takes more. Within the
    // room MaxBytes() counted: the entry ends where protobuf's would.
    char* const body = out + 1;
    char* const end = WriteEntry(entry, body);
    const size_t entry_bytes = static_cast<size_t>(end - body);
    if (entry_bytes < 0x80) [[likely]] {
      *out = static_cast<char>(entry_bytes);
      out = end;
    } else {
      std::memmove(out + wire::VarintBytes(entry_bytes), body, entry_bytes);
      out = WriteVarint(entry_bytes, out) + entry_bytes;
    }
  }
  out = WriteVarintField(Tag(8, kVarint), message.commit(), out);
  out = WriteVarintField(Tag(9, kVarint), message.reject() ? 1 : 0, out);
  out = WriteVarintField(Tag(10, kVarint), message.reject_hint(), out);
  out = WriteVarintField(Tag(11, kVarint), message.transfer() ? 1 : 0, out);
  out = WriteVarintField(Tag(12, kVarint), message.heartbeat_seq(), out);
  if (message.has_snapshot_metadata()) {
    // MaxBytes() cached its size, as protobuf's serializer relies on too.
    const raft::SnapshotMetadata& metadata = message.snapshot_metadata();
    *out++ = Tag(kSnapshotMetadataField, kLengthDelimited);
    out = WriteVarint(static_cast<size_t>(metadata.GetCachedSize()), out);
    out = reinterpret_cast<char*>(metadata.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out)));
  }
  out = WriteVarintField(Tag(14, kVarint), message.snapshot_offset(), out);
  out = WriteBytesField(Tag(kSnapshotDataField, kLengthDelimited), message.snapshot_data(), out);
  if (message.snapshot_done()) {
    *out++ = kSnapshotDoneTag[0];
    *out++ = kSnapshotDoneTag[1];
    *out++ = 1;
  }
  return out;
}

inline bool ReadRaftMessage(absl::string_view bytes, raft::Message& message) {
  using raft_message_wire::kEntriesField;
  using raft_message_wire::kSnapshotDataField;
  using raft_message_wire::kSnapshotDoneTag;
  using raft_message_wire::kSnapshotMetadataField;
  using raft_message_wire::ReadBool;
  using raft_message_wire::ReadSnapshotMetadata;
  using raft_message_wire::VarintOrZero;
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
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
