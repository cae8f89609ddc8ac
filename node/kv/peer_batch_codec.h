#pragma once
// The wire form of a peer batch, written and read without building the
// protobuf objects that wrap each Raft message. Layer: node.
//
// A batch travels as kv.proto's NodeMessage{peer: PeerBatch{messages:
// ShardRaftMessage{shard, message}...}}. Building those wrapper objects for
// every message and parsing them back (an allocation and a length-limited
// sub-parse per layer, per message) cost the simulator more than the Raft
// messages themselves. So the writer emits the wrappers' bytes itself,
// exactly as protobuf serializes them, and the reader decodes the wrappers
// itself and parses each raft::Message into an object it reuses.
//
// Each raft::Message is written and read by raft_message_codec.h, with
// protobuf's parser as the fallback for what that reader declines.
//
// The reader accepts only the wrappers in the form the writer (and protobuf)
// emits: one peer field, then ShardRaftMessages of at most one shard field
// followed by at most one message field each, with one-byte tags. Anything
// else (a client request, unknown fields, duplicate or reordered fields,
// malformed bytes) it declines, and the caller parses with protobuf, so
// that what is accepted, and how, stays protobuf's.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "node/kv/raft_message_codec.h"
#include "node/kv/wire_bytes.h"
#include "raft/kept_buffer.h"
#include "raft/raft.pb.h"

namespace kv::node {

// The most Raft messages one peer batch may carry. A node sends a batch
// when it holds this many (KvNode::SendRaftMessage), so none of its
// batches exceeds it; a received batch above it is refused unread. Without
// a bound, a 16 MiB frame of empty messages (two bytes each) decoded into
// eight million message objects, held for the next read. A batch has a
// message or two per shard the two nodes share, so this is far above any
// real one.
inline constexpr size_t kMaxPeerBatchMessages = 4096;

// Whether the NodeMessage `bytes`, in any form protobuf accepts, carries at
// most kMaxPeerBatchMessages Raft messages in its peer batch: counted by
// walking the wire format, before protobuf builds an object per message.
// False for bytes that do not walk as protobuf's wire format (which
// protobuf would refuse anyway).
bool PeerBatchWithinLimit(absl::string_view bytes);

class PeerBatchWriter {
 public:
  // Appends ShardRaftMessage{shard, message}; `message` is serialized now.
  void Add(uint64_t shard, const raft::Message& message);
  // Messages added since the last Take().
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The NodeMessage{peer: batch} bytes of the messages added since the last
  // Take(), byte for byte what protobuf's SerializeAsString gives; the
  // writer is empty afterwards. Inline (below), into the node's flush.
  [[gnu::always_inline]] inline std::string Take();
  // The capacity of the buffer kept between batches, for tests of the
  // bound (kept_buffer.h).
  size_t kept_buffer_bytes() const { return buffer_.capacity(); }

 private:
  // Room for the NodeMessage's peer tag and length, which Take() writes
  // once the batch's size is known.
  static constexpr size_t kHeaderBytes = 1 + wire::kMaxVarintBytes;
  // NodeMessage.peer's tag.
  static constexpr char kPeerTag = wire::Tag(1, wire::kLengthDelimited);
  // Take()'s rare parts, out of line: writes the peer tag and a length of
  // two bytes or more, and returns where the tag went.
  char* WriteLongHeader(size_t body_bytes);
  // Releases the buffer, past kMaxKeptBufferBytes.
  void ReleaseHugeBuffer();
  RaftMessageWriter message_writer_;
  // kHeaderBytes of room, then the PeerBatch's fields so far, up to used_.
  // The bytes past used_ are spare room, already allocated and zero-filled,
  // so that Add() writes a message without resizing the string each time.
  // Take() releases it if it grew past kMaxKeptBufferBytes (kept_buffer.h:
  // a large value or a snapshot chunk), so that one large batch is not held
  // for the life of the node.
  // Invariant: kHeaderBytes <= used_ <= buffer_.size().
  std::string buffer_ = std::string(kHeaderBytes, '\0');
  size_t used_ = kHeaderBytes;
  size_t count_ = 0;
};

class PeerBatchReader {
 public:
  struct ShardMessage {
    uint64_t shard = 0;
    raft::Message message;  // Default (empty) when the field was absent.
  };

  // Decodes `bytes` if they are a NodeMessage carrying a PeerBatch in the
  // writer's form, every raft::Message included. Returns false otherwise;
  // the caller must then parse `bytes` with protobuf. messages() is valid
  // after a true return, until the next Read().
  [[nodiscard]] bool Read(absl::string_view bytes);
  // After a false Read(): whether the batch was refused for holding more
  // than kMaxPeerBatchMessages messages (then it must not go to protobuf
  // either) rather than declined for its form.
  bool over_limit() const { return over_limit_; }
  absl::Span<const ShardMessage> messages() const { return absl::MakeConstSpan(slots_.data(), count_); }
  // The capacity of the largest data buffer (an entry's, a snapshot
  // chunk's) the slots keep for the next read, for tests of the bound
  // (kept_buffer.h): a slot to be replaced counts as replaced.
  size_t LargestKeptBufferBytes() const;

 private:
  // Decodes one ShardRaftMessage's fields, `bytes`, into the next slot.
  [[nodiscard, gnu::always_inline]] inline bool ReadShardMessage(absl::string_view bytes);

  // A slot whose message took more than kMaxKeptBufferBytes (kept_buffer.h)
  // is replaced by a fresh message before reuse, so that one large snapshot
  // chunk or append is not held for the life of the node: its buffers hold
  // no more than its bytes, as they are decoded over ones that were bounded.
  // slot_bytes_ of a slot protobuf parsed into: the message may hold
  // unknown fields, which ReadRaftMessage must not be given, so it is
  // replaced before reuse too.
  static constexpr size_t kParsedByProtobuf = SIZE_MAX;
  static_assert(raft::ExceedsKeptBound(kParsedByProtobuf));
  // Reused across reads, their entries' storage with them: parsing into
  // warm objects allocates nothing in the steady state.
  std::vector<ShardMessage> slots_;
  // Per slot: the message bytes last parsed into it, or kParsedByProtobuf.
  std::vector<size_t> slot_bytes_;
  size_t count_ = 0;  // Slots holding the last read's messages.
  bool over_limit_ = false;  // See over_limit().
  // Whether a slot the last read parsed into (even if the read failed) is
  // to be replaced (its slot_bytes_ above kMaxKeptBufferBytes). False
  // means none is.
  bool replace_pending_ = false;
};

inline std::string PeerBatchWriter::Take() {
  // The peer tag and length go right before the batch's fields, in the
  // room left for them.
  const size_t body_bytes = used_ - kHeaderBytes;
  char* header = buffer_.data() + kHeaderBytes - 2;
  if (body_bytes < 0x80) [[likely]] {
    header[0] = kPeerTag;
    header[1] = static_cast<char>(body_bytes);  // Most batches are one short message.
  } else {
    header = WriteLongHeader(body_bytes);
  }
  const size_t header_bytes = static_cast<size_t>(buffer_.data() + kHeaderBytes - header);
  std::string bytes(header, header_bytes + body_bytes);
  used_ = kHeaderBytes;
  count_ = 0;
  // Its size is its room (Add() grows it by resize()), and one load, where
  // capacity() tests for the short-string case first.
  if (raft::ExceedsKeptBound(buffer_.size())) [[unlikely]] ReleaseHugeBuffer();
  return bytes;
}

}  // namespace kv::node
