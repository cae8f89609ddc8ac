#pragma once
// Protobuf wire-format primitives for the hand-written envelope codecs
// (peer_batch_codec, client_message_codec): varints and length prefixes,
// read with protobuf's own limits. Layer: node.

#include <google/protobuf/io/coded_stream.h>

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace kv::node::wire {

// Protobuf reads at most 10 bytes for a varint and 5 for a length.
inline constexpr ptrdiff_t kMaxVarintBytes = 10;
inline constexpr ptrdiff_t kMaxLengthBytes = 5;

// A one-byte tag: field number << 3 | wire type (fields 1 to 15).
inline constexpr char Tag(int field, int wire_type) { return static_cast<char>(field << 3 | wire_type); }
inline constexpr int kVarint = 0;
inline constexpr int kLengthDelimited = 2;

inline size_t VarintBytes(uint64_t value) {
  return google::protobuf::io::CodedOutputStream::VarintSize64(value);
}

inline char* WriteVarint(uint64_t value, char* out) {
  return reinterpret_cast<char*>(google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(
      value, reinterpret_cast<uint8_t*>(out)));
}

// Reads a varint as protobuf does (bits past 64 are dropped); nullptr if it
// runs past `end` or past `max_bytes`.
inline const char* ReadVarint(const char* p, const char* end, ptrdiff_t max_bytes, uint64_t& value) {
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

// Reads a length prefix; on success, [returned pointer, `field_end`) is the
// field's payload, within `end`. nullptr otherwise.
inline const char* ReadLength(const char* p, const char* end, const char*& field_end) {
  uint64_t length = 0;
  p = ReadVarint(p, end, kMaxLengthBytes, length);
  if (p == nullptr || length > static_cast<uint64_t>(end - p)) return nullptr;
  field_end = p + length;
  return p;
}

// Reads the length-delimited field `tag` (a one-byte tag) spanning all of
// `bytes`, as a NodeMessage envelope is written; [returned pointer, `end`)
// is its payload. nullptr if `bytes` are anything else.
inline const char* OpenField(absl::string_view bytes, char tag, const char*& end) {
  const char* p = bytes.data();
  end = p + bytes.size();
  const char* field_end = nullptr;
  if (p == end || *p != tag || (p = ReadLength(p + 1, end, field_end)) == nullptr || field_end != end) {
    return nullptr;
  }
  return p;
}

}  // namespace kv::node::wire
