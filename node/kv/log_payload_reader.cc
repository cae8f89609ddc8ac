#include "node/kv/log_payload_reader.h"

#include <cstdint>
#include <string>

#include "node/kv/wire_bytes.h"
#include "node/kv/wire_field_reader.h"

namespace kv::node {

bool ReadEntry(absl::string_view bytes, raft::Entry& entry) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  // Field by field in number order (see wire_field_reader.h): a field out
  // of order, repeated or unknown is left unread, and declined.
  wire::FieldReader reader(bytes);
  if (reader.Take(Tag(1, kVarint))) entry.set_term(reader.Varint());
  if (reader.Take(Tag(2, kVarint))) entry.set_index(reader.Varint());
  if (reader.Take(Tag(3, kVarint))) {
    const uint64_t type = reader.Varint();
    if (type > INT32_MAX || !raft::EntryType_IsValid(static_cast<int>(type))) return false;
    entry.set_type(static_cast<raft::EntryType>(type));
  }
  if (reader.Take(Tag(4, kLengthDelimited))) {
    const absl::string_view data = reader.LengthDelimited();
    // Assigned in place: set_data(pointer, size) builds a temporary string.
    entry.mutable_data()->assign(data.data(), data.size());
  }
  return reader.Finished();
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
      if ((p = wire::ReadVarint(p, end, wire::kMaxVarintBytes, value)) == nullptr) return false;
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
