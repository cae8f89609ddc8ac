#include "node/kv/log_payload_reader.h"

#include <cstdint>
#include <string>

#include "node/kv/wire_bytes.h"

namespace kv::node {
namespace {

using wire::kLengthDelimited;
using wire::kVarint;
using wire::Tag;

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

// Whether the field with one-byte tag `tag` comes next.
bool Next(const char* p, const char* end, char tag) { return p < end && *p == tag; }

// Reads a length-delimited field's payload (p is past its tag) into `out`,
// assigned in place (a temporary string would allocate); the end of the
// field, or nullptr if it runs past `end`.
const char* ReadBytes(const char* p, const char* end, std::string& out) {
  const char* field_end = nullptr;
  if ((p = wire::ReadLength(p, end, field_end)) == nullptr) return nullptr;
  out.assign(p, static_cast<size_t>(field_end - p));
  return field_end;
}

}  // namespace

// Protobuf writes the fields it writes in number order, each at most once.
// So each reader below takes the fields it knows in that order, each if it
// comes next; whatever is left over (a repeat, a reordering, an unknown
// field or wire type) is not protobuf's form: declined. Reading in order
// rather than dispatching on each tag in a loop halved the readers' cost.

bool ReadEntry(absl::string_view bytes, raft::Entry& entry) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  uint64_t value = 0;
  if (Next(p, end, Tag(1, kVarint))) {
    if ((p = ReadVarint(p + 1, end, value)) == nullptr) return false;
    entry.set_term(value);
  }
  if (Next(p, end, Tag(2, kVarint))) {
    if ((p = ReadVarint(p + 1, end, value)) == nullptr) return false;
    entry.set_index(value);
  }
  if (Next(p, end, Tag(3, kVarint))) {
    if ((p = ReadVarint(p + 1, end, value)) == nullptr || value > INT32_MAX ||
        !raft::EntryType_IsValid(static_cast<int>(value))) {
      return false;
    }
    entry.set_type(static_cast<raft::EntryType>(value));
  }
  if (Next(p, end, Tag(4, kLengthDelimited)) && (p = ReadBytes(p + 1, end, *entry.mutable_data())) == nullptr) {
    return false;
  }
  return p == end;
}

bool ReadCommand(absl::string_view bytes, pb::Command& command) {
  command.Clear();
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  uint64_t value = 0;
  if (Next(p, end, Tag(1, kVarint))) {
    if ((p = ReadVarint(p + 1, end, value)) == nullptr) return false;
    command.set_client_id(value);
  }
  if (Next(p, end, Tag(2, kVarint))) {
    if ((p = ReadVarint(p + 1, end, value)) == nullptr) return false;
    command.set_sequence(value);
  }
  if (Next(p, end, Tag(3, kVarint))) {
    if ((p = ReadVarint(p + 1, end, value)) == nullptr || value > INT32_MAX ||
        !pb::Op_IsValid(static_cast<int>(value))) {
      return false;
    }
    command.set_op(static_cast<pb::Op>(value));
  }
  if (Next(p, end, Tag(4, kLengthDelimited)) && (p = ReadBytes(p + 1, end, *command.mutable_key())) == nullptr) {
    return false;
  }
  if (Next(p, end, Tag(5, kLengthDelimited)) && (p = ReadBytes(p + 1, end, *command.mutable_value())) == nullptr) {
    return false;
  }
  if (Next(p, end, Tag(6, kLengthDelimited)) &&
      (p = ReadBytes(p + 1, end, *command.mutable_expected())) == nullptr) {
    return false;
  }
  if (Next(p, end, Tag(7, kVarint))) {
    // Protobuf writes a set bool as 1.
    if ((p = ReadVarint(p + 1, end, value)) == nullptr || value > 1) return false;
    command.set_expect_absent(value != 0);
  }
  return p == end;
}

}  // namespace kv::node
