#pragma once
// Protobuf wire-format primitives for the hand-written envelope codecs
// (peer_batch_codec, client_message_codec, raft_message_codec): varints,
// fields and length prefixes, read with protobuf's own limits. Layer: node.

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
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

// The bytes of a varint field with a one-byte tag: proto3 omits a zero.
inline size_t VarintFieldBytes(uint64_t value) { return value == 0 ? 0 : 1 + VarintBytes(value); }

// The bytes of a bytes (or string) field with a one-byte tag: proto3 omits
// an empty one.
inline size_t BytesFieldBytes(absl::string_view value) {
  return value.empty() ? 0 : 1 + VarintBytes(value.size()) + value.size();
}

// Writes a varint field as VarintFieldBytes() counts it.
inline char* WriteVarintField(char tag, uint64_t value, char* out) {
  if (value == 0) return out;
  *out++ = tag;
  return WriteVarint(value, out);
}

// Writes a bytes field as BytesFieldBytes() counts it.
inline char* WriteBytesField(char tag, absl::string_view value, char* out) {
  if (value.empty()) return out;
  *out++ = tag;
  out = WriteVarint(value.size(), out);
  return std::copy(value.begin(), value.end(), out);
}

// Protobuf writes an enum as an int32, sign-extended to 64 bits.
inline uint64_t EnumValue(int value) { return static_cast<uint64_t>(static_cast<int64_t>(value)); }

// Whether `value`, an enum field's varint, is a value of the protobuf enum
// whose values run from 0 to `max` without gaps, as those of every enum the
// hand-written readers read do (wire_field_reader_test checks it). A plain
// comparison, where the generated <Enum>_IsValid() is an out-of-line call.
inline bool IsEnumValue(uint64_t value, int max) { return value <= static_cast<uint64_t>(max); }

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

}  // namespace kv::node::wire
