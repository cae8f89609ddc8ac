#include "node/kv/log_payload_reader.h"

#include <cstdint>

#include "node/kv/wire_bytes.h"

namespace kv::node {

bool ReadEntry(absl::string_view bytes, raft::Entry& entry) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  // Protobuf writes fields in number order, so a field at or below the last
  // one seen (a repeat, or a reordering) is not its form: declined.
  int last_field = 0;
  while (p < end) {
    const char tag = *p++;
    const int field = static_cast<uint8_t>(tag) >> 3;
    if (field <= last_field) return false;
    last_field = field;
    uint64_t value = 0;
    if (tag == Tag(1, kVarint)) {
      if ((p = wire::ReadVarint(p, end, wire::kMaxVarintBytes, value)) == nullptr) return false;
      entry.set_term(value);
    } else if (tag == Tag(2, kVarint)) {
      if ((p = wire::ReadVarint(p, end, wire::kMaxVarintBytes, value)) == nullptr) return false;
      entry.set_index(value);
    } else if (tag == Tag(3, kVarint)) {
      if ((p = wire::ReadVarint(p, end, wire::kMaxVarintBytes, value)) == nullptr ||
          value > INT32_MAX || !raft::EntryType_IsValid(static_cast<int>(value))) {
        return false;
      }
      entry.set_type(static_cast<raft::EntryType>(value));
    } else if (tag == Tag(4, kLengthDelimited)) {
      const char* field_end = nullptr;
      if ((p = wire::ReadLength(p, end, field_end)) == nullptr) return false;
      // Assigned in place: set_data(pointer, size) builds a temporary string.
      entry.mutable_data()->assign(p, static_cast<size_t>(field_end - p));
      p = field_end;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace kv::node
