#include "node/kv/log_payload_reader.h"

#include <cstdint>
#include <string>

#include "node/kv/wire_bytes.h"
#include "node/kv/wire_field_reader.h"
#include "raft/entry_data.h"

namespace kv::node {
namespace {

// Copies `bytes` into `field` in place, reusing its capacity
// (set_key(pointer, size) would build a temporary string).
void AssignBytes(absl::string_view bytes, std::string& field) { field.assign(bytes.data(), bytes.size()); }

}  // namespace

bool ReadEntry(absl::string_view bytes, raft::Entry& entry) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  // Field by field in number order (see wire_field_reader.h): a field out
  // of order, repeated or unknown is left unread, and declined.
  // An absent field is set to proto3's default, in place of a Clear()
  // first.
  wire::FieldReader reader(bytes);
  entry.set_term(reader.Take(Tag(1, kVarint)) ? reader.Varint() : 0);
  entry.set_index(reader.Take(Tag(2, kVarint)) ? reader.Varint() : 0);
  const uint64_t type = reader.Take(Tag(3, kVarint)) ? reader.Varint() : 0;
  if (!wire::IsEnumValue(type, raft::EntryType_MAX)) return false;
  entry.set_type(static_cast<raft::EntryType>(type));
  if (reader.Take(Tag(4, kLengthDelimited))) {
    const absl::string_view data = reader.LengthDelimited();
    // Assigned in place: set_data(pointer, size) builds a temporary string.
    raft::MutableData(entry).assign(data.data(), data.size());
  } else if (!entry.data().empty()) {
    entry.clear_data();
  }
  return reader.Finished();
}

bool ReadCommandFields(absl::string_view bytes, CommandFields& command) {
  using wire::kLengthDelimited;
  using wire::kVarint;
  using wire::Tag;
  command = CommandFields{};
  // As ReadEntry reads an entry.
  wire::FieldReader reader(bytes);
  if (reader.Take(Tag(1, kVarint))) command.client_id = reader.Varint();
  if (reader.Take(Tag(2, kVarint))) command.sequence = reader.Varint();
  if (reader.Take(Tag(3, kVarint))) {
    const uint64_t op = reader.Varint();
    if (!wire::IsEnumValue(op, pb::Op_MAX)) return false;
    command.op = static_cast<pb::Op>(op);
  }
  if (reader.Take(Tag(4, kLengthDelimited))) command.key = reader.LengthDelimited();
  if (reader.Take(Tag(5, kLengthDelimited))) command.value = reader.LengthDelimited();
  if (reader.Take(Tag(6, kLengthDelimited))) command.expected = reader.LengthDelimited();
  if (reader.Take(Tag(7, kVarint))) {
    // Protobuf writes a set bool as 1.
    const uint64_t expect_absent = reader.Varint();
    if (expect_absent > 1) reader.Fail();
    command.expect_absent = expect_absent != 0;
  }
  return reader.Finished();
}

bool ReadCommand(absl::string_view bytes, pb::Command& command) {
  command.Clear();
  CommandFields fields;
  if (!ReadCommandFields(bytes, fields)) return false;
  command.set_client_id(fields.client_id);
  command.set_sequence(fields.sequence);
  command.set_op(fields.op);
  // Cleared above: an empty string needs no assignment.
  if (!fields.key.empty()) AssignBytes(fields.key, *command.mutable_key());
  if (!fields.value.empty()) AssignBytes(fields.value, *command.mutable_value());
  if (!fields.expected.empty()) AssignBytes(fields.expected, *command.mutable_expected());
  command.set_expect_absent(fields.expect_absent);
  return true;
}

}  // namespace kv::node
