#pragma once
// Whether a protobuf message carries unknown fields, answered inline in the
// common case (layer: raft/, used by the node's codecs too).
//
// The hand-written copiers and codecs (EntryCopier, the peer message codec)
// take their fast path only for messages without unknown fields, and ask
// for every entry and message they handle, a few hundred thousand times a
// simulated minute. Reflection::GetUnknownFields() answers with two
// out-of-line calls (the second fetches the empty set's default instance
// behind a once-flag). Yet the message itself knows: its InternalMetadata
// tags its pointer once an unknown-field set has been allocated for it, and
// a message that never held one (nearly all of them) is answered by that
// bit alone.

#include "google/protobuf/message.h"
#include "google/protobuf/message_lite.h"

namespace kv::raft {
namespace unknown_fields_internal {

// MessageLite's metadata is protected; a pointer to member named through a
// derived class may read it from any MessageLite ([class.protected]). The
// class is never instantiated.
class MetadataReader : public google::protobuf::MessageLite {
 public:
  // Whether an unknown-field set was ever allocated for `message`. It may
  // be empty again (Clear() empties it but keeps it).
  static bool MayHaveUnknownFields(const google::protobuf::MessageLite& message) {
    return (message.*&MetadataReader::_internal_metadata_).have_unknown_fields();
  }
};

}  // namespace unknown_fields_internal

// Whether `message`'s own unknown-field set is non-empty, exactly as
// !message.GetReflection()->GetUnknownFields(message).empty() says. Nested
// messages are not looked at.
inline bool HasUnknownFields(const google::protobuf::Message& message) {
  return unknown_fields_internal::MetadataReader::MayHaveUnknownFields(message) &&
         !message.GetReflection()->GetUnknownFields(message).empty();
}

}  // namespace kv::raft
