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
#include <optional>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "raft/raft.pb.h"

namespace kv::node {

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
  // Looked up once: each lookup is a virtual call behind a once-flag.
  const google::protobuf::Reflection* message_reflection_ = raft::Message::GetReflection();
  const google::protobuf::Reflection* entry_reflection_ = raft::Entry::GetReflection();
};

// Decodes `bytes` into `message` if they are a raft::Message in protobuf's
// serialized form. Precondition: `message` holds no unknown fields of its
// own (it is fresh, cleared, or last written by this function; protobuf's
// parser keeps unknown fields, which this function does not clear). Clears
// `message` first; its entries, and their data strings, keep their storage,
// so a reused message decodes without allocating. Returns false otherwise,
// possibly with `message` partly set: the caller must then parse `bytes`
// with protobuf, which clears it first.
[[nodiscard]] bool ReadRaftMessage(absl::string_view bytes, raft::Message& message);

}  // namespace kv::node
