#include "node/kv/log_payload_writer.h"

#include <algorithm>
#include <cstdint>

#include "node/env/check.h"
#include "node/kv/wire_bytes.h"

namespace kv::node {
namespace {

using wire::kLengthDelimited;
using wire::kVarint;
using wire::Tag;
using wire::VarintBytes;
using wire::WriteVarint;

// Proto3 omits zero scalars and empty strings.
size_t VarintFieldBytes(uint64_t value) { return value == 0 ? 0 : 1 + VarintBytes(value); }

char* WriteVarintField(char tag, uint64_t value, char* out) {
  if (value == 0) return out;
  *out++ = tag;
  return WriteVarint(value, out);
}

// Protobuf writes an enum as an int32, sign-extended to 64 bits.
uint64_t EnumValue(int value) { return static_cast<uint64_t>(static_cast<int64_t>(value)); }

// The bytes of the entry's known fields.
size_t EntryBytes(const raft::Entry& entry) {
  const size_t data_bytes = entry.data().empty() ? 0 : 1 + VarintBytes(entry.data().size()) + entry.data().size();
  return VarintFieldBytes(entry.term()) + VarintFieldBytes(entry.index()) +
         VarintFieldBytes(EnumValue(entry.type())) + data_bytes;
}

std::string WriteEntry(const raft::Entry& entry, size_t total) {
  const std::string& data = entry.data();
  std::string bytes(total, '\0');
  char* out = bytes.data();
  out = WriteVarintField(Tag(1, kVarint), entry.term(), out);
  out = WriteVarintField(Tag(2, kVarint), entry.index(), out);
  out = WriteVarintField(Tag(3, kVarint), EnumValue(entry.type()), out);
  if (!data.empty()) {
    *out++ = Tag(4, kLengthDelimited);
    out = WriteVarint(data.size(), out);
    out = std::copy(data.begin(), data.end(), out);
  }
  KV_CHECK(out == bytes.data() + bytes.size());
  return bytes;
}

}  // namespace

std::string EncodeEntry(const raft::Entry& entry) { return WriteEntry(entry, EntryBytes(entry)); }

std::string SerializeEntry(const raft::Entry& entry) {
  const size_t total = EntryBytes(entry);
  // Unknown fields take at least a byte each (their tag), so the sizes
  // differ exactly when there are some. Asking reflection would cost more.
  if (entry.ByteSizeLong() != total) return entry.SerializeAsString();
  return WriteEntry(entry, total);
}

}  // namespace kv::node
