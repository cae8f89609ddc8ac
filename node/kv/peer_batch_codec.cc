#include "node/kv/peer_batch_codec.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "node/env/check.h"
#include "node/kv/wire_bytes.h"
#include "node/kv/wire_field_reader.h"

namespace kv::node {
namespace {

using wire::VarintBytes;
using wire::WriteVarint;

constexpr char kPeerTag = wire::Tag(1, wire::kLengthDelimited);          // NodeMessage.peer
constexpr char kBatchMessageTag = wire::Tag(1, wire::kLengthDelimited);  // PeerBatch.messages
constexpr char kShardTag = wire::Tag(1, wire::kVarint);                  // ShardRaftMessage.shard
constexpr char kMessageTag = wire::Tag(2, wire::kLengthDelimited);       // ShardRaftMessage.message

// Calls on_field(field number, payload) for each length-delimited field of
// the message `bytes` and skips the others, as protobuf's wire format lays
// them out. False if the bytes do not walk (a bad tag, wire type, varint or
// length) or on_field returns false.
template <typename OnField>
bool WalkLengthDelimitedFields(absl::string_view bytes, OnField on_field) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p != end) {
    uint64_t tag = 0;
    p = wire::ReadVarint(p, end, wire::kMaxLengthBytes, tag);
    if (p == nullptr || (tag >> 3) == 0) return false;
    switch (tag & 7) {
      case 0: {  // varint
        uint64_t ignored = 0;
        p = wire::ReadVarint(p, end, wire::kMaxVarintBytes, ignored);
        if (p == nullptr) return false;
        break;
      }
      case 1:  // fixed64
      case 5: {  // fixed32
        const ptrdiff_t size = (tag & 7) == 1 ? 8 : 4;
        if (end - p < size) return false;
        p += size;
        break;
      }
      case 2: {
        const char* field_end = nullptr;
        const char* payload = wire::ReadLength(p, end, field_end);
        if (payload == nullptr) return false;
        if (!on_field(tag >> 3, absl::string_view(payload, static_cast<size_t>(field_end - payload)))) {
          return false;
        }
        p = field_end;
        break;
      }
      default:  // Groups (3, 4) are not in our schema; 6 and 7 are invalid.
        return false;
    }
  }
  return true;
}

}  // namespace

bool PeerBatchWithinLimit(absl::string_view bytes) {
  // Protobuf merges every NodeMessage.peer field into one batch, so the
  // messages of all of them count together.
  size_t messages = 0;
  return WalkLengthDelimitedFields(bytes, [&messages](uint64_t field, absl::string_view payload) {
    if (field != 1) return true;  // Not NodeMessage.peer.
    return WalkLengthDelimitedFields(payload, [&messages](uint64_t batch_field, absl::string_view) {
      return batch_field != 1 || ++messages <= kMaxPeerBatchMessages;  // PeerBatch.messages
    });
  });
}

void PeerBatchWriter::Add(uint64_t shard, const raft::Message& message) {
  // The hand writer, unless the message carries unknown fields. Either
  // gives a bound on the message's size first (protobuf's is exact, and
  // caches the sizes its serializer relies on).
  const std::optional<size_t> hand_max_bytes = message_writer_.MaxBytes(message);
  const size_t max_message_bytes = hand_max_bytes.has_value() ? *hand_max_bytes : message.ByteSizeLong();
  // ShardRaftMessage{shard, message}'s fields in field order; proto3 omits
  // a zero shard, and the message field is always set. The message is
  // written first, after one-byte lengths (most messages are that short),
  // and moved up once its size, and so the lengths', is known.
  const size_t shard_bytes = shard < 0x80 ? (shard == 0 ? 0 : 2) : 1 + VarintBytes(shard);
  const size_t message_offset = used_ + 2 + shard_bytes + 2;
  const size_t max_used = message_offset + max_message_bytes + 2 * (wire::kMaxVarintBytes - 1);
  if (max_used > buffer_.size()) buffer_.resize(std::max(max_used, 2 * buffer_.size()));
  char* const message_begin = buffer_.data() + message_offset;
  char* const message_end =
      hand_max_bytes.has_value()
          ? message_writer_.Write(message, message_begin)
          : reinterpret_cast<char*>(
                message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(message_begin)));
  const size_t message_bytes = static_cast<size_t>(message_end - message_begin);
  KV_CHECK_LE(message_bytes, max_message_bytes);
  char* out = buffer_.data() + used_;
  // The usual case: both lengths take the one byte they were given room
  // for, and the message stays where it is.
  const size_t short_entry_bytes = shard_bytes + 2 + message_bytes;
  if (short_entry_bytes < 0x80) [[likely]] {
    *out++ = kBatchMessageTag;
    *out++ = static_cast<char>(short_entry_bytes);
    if (shard != 0) [[likely]] {
      *out++ = kShardTag;
      out = WriteVarint(shard, out);
    }
    *out++ = kMessageTag;
    *out++ = static_cast<char>(message_bytes);
    KV_CHECK(out == message_begin);
    used_ = message_offset + message_bytes;
    ++count_;
    return;
  }
  const size_t entry_bytes = shard_bytes + 1 + VarintBytes(message_bytes) + message_bytes;
  const size_t new_used = used_ + 1 + VarintBytes(entry_bytes) + entry_bytes;
  if (new_used != message_offset + message_bytes) {
    std::memmove(buffer_.data() + new_used - message_bytes, message_begin, message_bytes);
  }
  *out++ = kBatchMessageTag;
  out = WriteVarint(entry_bytes, out);
  if (shard != 0) {
    *out++ = kShardTag;
    out = WriteVarint(shard, out);
  }
  *out++ = kMessageTag;
  out = WriteVarint(message_bytes, out);
  KV_CHECK(out == buffer_.data() + new_used - message_bytes);
  used_ = new_used;
  ++count_;
}

char* PeerBatchWriter::WriteLongHeader(size_t body_bytes) {
  char* const header = buffer_.data() + kHeaderBytes - 1 - VarintBytes(body_bytes);
  WriteVarint(body_bytes, header + 1);
  *header = kPeerTag;
  return header;
}

void PeerBatchWriter::ReleaseHugeBuffer() {
  raft::ReleaseBuffer(buffer_);
  buffer_.resize(kHeaderBytes);
}

// Inline, into Read's loop: the call's setup cost more than a short
// message's decoding.
inline bool PeerBatchReader::ReadShardMessage(absl::string_view bytes) {
  // slot_bytes_ grows with slots_; its size is a shift away, slots_' a
  // division.
  if (count_ == slot_bytes_.size()) {
    slots_.emplace_back();
    slot_bytes_.push_back(0);
  }
  ShardMessage& slot = slots_[count_];
  // The shard, then the message, each at most once (wire_field_reader.h);
  // any other form is left unread, and protobuf decides.
  wire::FieldReader reader(bytes);
  slot.shard = reader.Take(kShardTag) ? reader.Varint() : 0;
  if (reader.Take(kMessageTag)) {
    const absl::string_view message = reader.LengthDelimited();
    if (ReadRaftMessage(message, slot.message)) [[likely]] {
      slot_bytes_[count_] = message.size();
      if (raft::ExceedsKeptBound(message.size())) replace_pending_ = true;
    } else {
      // What the hand reader declines, protobuf parses (or refuses).
      slot_bytes_[count_] = kParsedByProtobuf;
      replace_pending_ = true;
      if (!slot.message.ParseFromArray(message.data(), static_cast<int>(message.size()))) return false;
    }
  } else {
    slot.message.Clear();
  }
  if (!reader.Finished()) return false;
  ++count_;
  return true;
}

bool PeerBatchReader::Read(absl::string_view bytes) {
  // Replaced: large messages, and those protobuf parsed into (see
  // kParsedByProtobuf). Rare, hence the flag rather than a walk each time;
  // the walk covers every slot, as only those the last read parsed into
  // can be marked (the read before replaced its own).
  if (replace_pending_) {
    for (size_t i = 0; i < slot_bytes_.size(); ++i) {
      if (raft::ExceedsKeptBound(slot_bytes_[i])) {
        slots_[i].message = raft::Message();
        slot_bytes_[i] = 0;
      }
    }
    replace_pending_ = false;
  }
  count_ = 0;
  over_limit_ = false;
  // Exactly one peer field, spanning the whole message.
  const std::optional<absl::string_view> body = wire::OpenField(bytes, kPeerTag);
  if (!body.has_value()) return false;
  wire::FieldReader batch(*body);
  while (batch.Take(kBatchMessageTag)) {
    if (count_ == kMaxPeerBatchMessages) [[unlikely]] {
      over_limit_ = true;
      return false;
    }
    if (!ReadShardMessage(batch.LengthDelimited())) return false;
  }
  return batch.Finished();
}

size_t PeerBatchReader::LargestKeptBufferBytes() const {
  size_t largest = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (raft::ExceedsKeptBound(slot_bytes_[i])) continue;  // Replaced by the next Read().
    const raft::Message& message = slots_[i].message;
    largest = std::max(largest, message.snapshot_data().capacity());
    for (const raft::Entry& entry : message.entries()) largest = std::max(largest, entry.data().capacity());
  }
  return largest;
}

}  // namespace kv::node
