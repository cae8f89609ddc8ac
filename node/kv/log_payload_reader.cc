#include "node/kv/log_payload_reader.h"

#include <cstdint>
#include <string>

#include "node/kv/wire_bytes.h"

namespace kv::node {
namespace {

// wire::ReadVarint(p, end, wire::kMaxVarintBytes, value), with the bound
// checked once rather than per byte when a whole varint's worth of bytes
// remains (nearly always: only the last field may end closer to the end).
// Reading varints was about half of the readers' cost: a client id, a term
// and an index take up to ten bytes each.
const char* ReadVarint(const char* p, const char* end, uint64_t& value) {
  if (end - p < wire::kMaxVarintBytes) return wire::ReadVarint(p, end, wire::kMaxVarintBytes, value);
  uint64_t result = 0;
  for (int i = 0; i < wire::kMaxVarintBytes; ++i) {
    const uint8_t byte = static_cast<uint8_t>(p[i]);
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);  // Bits past 64 dropped, as protobuf does.
    if (byte < 0x80) {
      value = result;
      return p + i + 1;
    }
  }
  return nullptr;
}

}  // namespace

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
      if ((p = ReadVarint(p, end, value)) == nullptr) return false;
      entry.set_term(value);
    } else if (tag == Tag(2, kVarint)) {
      if ((p = ReadVarint(p, end, value)) == nullptr) return false;
      entry.set_index(value);
    } else if (tag == Tag(3, kVarint)) {
      if ((p = ReadVarint(p, end, value)) == nullptr ||
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

bool ReadCommand(absl::string_view bytes, pb::Command& command) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  command.Clear();
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  int last_field = 0;  // As in ReadEntry.
  while (p < end) {
    const char tag = *p++;
    const int field = static_cast<uint8_t>(tag) >> 3;
    if (field <= last_field) return false;
    last_field = field;
    uint64_t value = 0;
    std::string* bytes_field = nullptr;
    if (tag == Tag(4, kLengthDelimited)) {
      bytes_field = command.mutable_key();
    } else if (tag == Tag(5, kLengthDelimited)) {
      bytes_field = command.mutable_value();
    } else if (tag == Tag(6, kLengthDelimited)) {
      bytes_field = command.mutable_expected();
    } else if (tag == Tag(1, kVarint) || tag == Tag(2, kVarint) || tag == Tag(3, kVarint) ||
               tag == Tag(7, kVarint)) {
      if ((p = ReadVarint(p, end, value)) == nullptr) return false;
    } else {
      return false;
    }
    if (bytes_field != nullptr) {
      const char* field_end = nullptr;
      if ((p = wire::ReadLength(p, end, field_end)) == nullptr) return false;
      bytes_field->assign(p, static_cast<size_t>(field_end - p));
      p = field_end;
    } else if (field == 1) {
      command.set_client_id(value);
    } else if (field == 2) {
      command.set_sequence(value);
    } else if (field == 3) {
      if (value > INT32_MAX || !pb::Op_IsValid(static_cast<int>(value))) return false;
      command.set_op(static_cast<pb::Op>(value));
    } else {
      // Protobuf writes a set bool as 1.
      if (value > 1) return false;
      command.set_expect_absent(value != 0);
    }
  }
  return true;
}

}  // namespace kv::node
