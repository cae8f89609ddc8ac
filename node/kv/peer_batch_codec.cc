#include "node/kv/peer_batch_codec.h"

#include <google/protobuf/io/coded_stream.h>

#include "node/env/check.h"

namespace kv::node {
namespace {

using google::protobuf::io::CodedOutputStream;

// One-byte tags (field number << 3 | wire type) of the fields involved.
constexpr char kPeerTag = 0x0a;          // NodeMessage.peer = 1, length-delimited.
constexpr char kBatchMessageTag = 0x0a;  // PeerBatch.messages = 1, length-delimited.
constexpr char kShardTag = 0x08;         // ShardRaftMessage.shard = 1, varint.
constexpr char kMessageTag = 0x12;       // ShardRaftMessage.message = 2, length-delimited.

// Protobuf reads at most 10 bytes for a varint and 5 for a length.
constexpr ptrdiff_t kMaxVarintBytes = 10;
constexpr ptrdiff_t kMaxLengthBytes = 5;

char* WriteVarint(uint64_t value, char* out) {
  return reinterpret_cast<char*>(
      CodedOutputStream::WriteVarint64ToArray(value, reinterpret_cast<uint8_t*>(out)));
}

// Reads a varint as protobuf does (bits past 64 are dropped); nullptr if it
// runs past `end` or past `max_bytes`.
const char* ReadVarint(const char* p, const char* end, ptrdiff_t max_bytes, uint64_t& value) {
  if (end - p > max_bytes) end = p + max_bytes;
  uint64_t result = 0;
  for (int shift = 0; p < end; shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(*p++);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) {
      value = result;
      return p;
    }
  }
  return nullptr;
}

// Reads a length prefix; on success [returned pointer, `field_end`) is the
// field's payload, within `end`.
const char* ReadLength(const char* p, const char* end, const char*& field_end) {
  uint64_t length = 0;
  p = ReadVarint(p, end, kMaxLengthBytes, length);
  if (p == nullptr || length > static_cast<uint64_t>(end - p)) return nullptr;
  field_end = p + length;
  return p;
}

}  // namespace

void PeerBatchWriter::Add(uint64_t shard, const raft::Message& message) {
  // ShardRaftMessage's fields in field order; proto3 omits a zero shard,
  // and the message field is always set.
  const size_t message_bytes = message.ByteSizeLong();
  const size_t shard_bytes = shard == 0 ? 0 : 1 + CodedOutputStream::VarintSize64(shard);
  const size_t entry_bytes = shard_bytes + 1 + CodedOutputStream::VarintSize64(message_bytes) + message_bytes;
  const size_t old_size = body_.size();
  body_.resize(old_size + 1 + CodedOutputStream::VarintSize64(entry_bytes) + entry_bytes);
  char* out = body_.data() + old_size;
  *out++ = kBatchMessageTag;
  out = WriteVarint(entry_bytes, out);
  if (shard != 0) {
    *out++ = kShardTag;
    out = WriteVarint(shard, out);
  }
  *out++ = kMessageTag;
  out = WriteVarint(message_bytes, out);
  // ByteSizeLong() above cached the sizes this relies on.
  out = reinterpret_cast<char*>(message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out)));
  KV_CHECK(out == body_.data() + body_.size());
  ++count_;
}

std::string PeerBatchWriter::Take() {
  std::string bytes;
  bytes.resize(1 + CodedOutputStream::VarintSize64(body_.size()) + body_.size());
  char* out = bytes.data();
  *out++ = kPeerTag;
  out = WriteVarint(body_.size(), out);
  body_.copy(out, body_.size());
  body_.clear();
  count_ = 0;
  return bytes;
}

bool PeerBatchReader::Read(absl::string_view bytes) {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slot_bytes_[i] > kRetainBytes) {
      slots_[i].message = raft::Message();
      slot_bytes_[i] = 0;
    }
  }
  count_ = 0;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  // Exactly one peer field, spanning the whole message.
  const char* batch_end = nullptr;
  if (p == end || *p != kPeerTag || (p = ReadLength(p + 1, end, batch_end)) == nullptr || batch_end != end) {
    return false;
  }
  while (p < end) {
    const char* entry_end = nullptr;
    if (*p != kBatchMessageTag || (p = ReadLength(p + 1, end, entry_end)) == nullptr ||
        !ReadShardMessage(p, entry_end)) {
      return false;
    }
    p = entry_end;
  }
  return true;
}

bool PeerBatchReader::ReadShardMessage(const char* p, const char* end) {
  if (count_ == slots_.size()) {
    slots_.emplace_back();
    slot_bytes_.push_back(0);
  }
  ShardMessage& slot = slots_[count_];
  slot.shard = 0;
  slot_bytes_[count_] = 0;
  bool have_shard = false;
  bool have_message = false;
  while (p < end) {
    const char tag = *p++;
    if (tag == kShardTag && !have_shard) {
      have_shard = true;
      if ((p = ReadVarint(p, end, kMaxVarintBytes, slot.shard)) == nullptr) return false;
    } else if (tag == kMessageTag && !have_message) {
      have_message = true;
      const char* message_end = nullptr;
      if ((p = ReadLength(p, end, message_end)) == nullptr) return false;
      slot_bytes_[count_] = static_cast<size_t>(message_end - p);
      if (!slot.message.ParseFromArray(p, static_cast<int>(message_end - p))) return false;
      p = message_end;
    } else {
      return false;  // Not the writer's form: protobuf decides.
    }
  }
  if (!have_message) slot.message.Clear();
  ++count_;
  return true;
}

}  // namespace kv::node
