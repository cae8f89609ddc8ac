#include "node/kv/peer_batch_codec.h"

#include "node/env/check.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {
namespace {

using wire::ReadLength;
using wire::ReadVarint;
using wire::VarintBytes;
using wire::WriteVarint;

constexpr char kPeerTag = wire::Tag(1, wire::kLengthDelimited);          // NodeMessage.peer
constexpr char kBatchMessageTag = wire::Tag(1, wire::kLengthDelimited);  // PeerBatch.messages
constexpr char kShardTag = wire::Tag(1, wire::kVarint);                  // ShardRaftMessage.shard
constexpr char kMessageTag = wire::Tag(2, wire::kLengthDelimited);       // ShardRaftMessage.message

}  // namespace

void PeerBatchWriter::Add(uint64_t shard, const raft::Message& message) {
  // ShardRaftMessage's fields in field order; proto3 omits a zero shard,
  // and the message field is always set.
  const size_t message_bytes = message.ByteSizeLong();
  const size_t shard_bytes = shard == 0 ? 0 : 1 + VarintBytes(shard);
  const size_t entry_bytes = shard_bytes + 1 + VarintBytes(message_bytes) + message_bytes;
  const size_t old_size = body_.size();
  body_.resize(old_size + 1 + VarintBytes(entry_bytes) + entry_bytes);
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
  bytes.resize(1 + VarintBytes(body_.size()) + body_.size());
  char* out = bytes.data();
  *out++ = kPeerTag;
  out = WriteVarint(body_.size(), out);
  body_.copy(out, body_.size());
  body_.clear();
  count_ = 0;
  return bytes;
}

bool PeerBatchReader::Read(absl::string_view bytes) {
  for (size_t i = 0; i < touched_; ++i) {
    if (slot_bytes_[i] > kRetainBytes) {
      slots_[i].message = raft::Message();
      slot_bytes_[i] = 0;
    }
  }
  touched_ = 0;
  count_ = 0;
  // Exactly one peer field, spanning the whole message.
  const char* end = nullptr;
  const char* p = wire::OpenField(bytes, kPeerTag, end);
  if (p == nullptr) return false;
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
  touched_ = count_ + 1;
  slot.shard = 0;
  bool have_shard = false;
  bool have_message = false;
  while (p < end) {
    const char tag = *p++;
    if (tag == kShardTag && !have_shard) {
      have_shard = true;
      if ((p = ReadVarint(p, end, wire::kMaxVarintBytes, slot.shard)) == nullptr) return false;
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
