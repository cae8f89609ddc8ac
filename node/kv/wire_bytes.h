#pragma once
// Protobuf wire-format primitives for the hand-written envelope codecs
// (peer_batch_codec, client_message_codec, raft_message_codec): varints,
// fields and length prefixes, read with protobuf's own limits. Layer: node.

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

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

// A varint of at least 8 bytes (`value` >= 2^49) at `out`, protobuf's
// bytes: its first 8 bytes in one store, the 7-bit groups spread to one
// per byte (the inverse of the reader's Compact, wire_field_reader.h), then
// a ninth and tenth. Protobuf's writer takes these a byte per turn of a
// loop, and client ids, random 64-bit numbers, are nine or ten bytes long.
// Little-endian only: WriteVarint() calls it on such hosts.
inline char* WriteLongVarint(uint64_t value, char* out) {
  uint64_t word = value & ((uint64_t{1} << 56) - 1);
  word = (word & 0x000000000fffffffu) | (word & 0x00fffffff0000000u) << 4;
  word = (word & 0x00003fff00003fffu) | (word & 0x0fffc0000fffc000u) << 2;
  word = (word & 0x007f007f007f007fu) | (word & 0x3f803f803f803f80u) << 1;
  const uint64_t rest = value >> 56;  // The ninth and tenth bytes' bits.
  // Continuation bits on all 8 bytes, unless the eighth is the last.
  word |= rest == 0 ? 0x0080808080808080u : 0x8080808080808080u;
  std::memcpy(out, &word, sizeof word);
  if (rest == 0) return out + 8;
  if (rest < 0x80) {
    out[8] = static_cast<char>(rest);
    return out + 9;
  }
  out[8] = static_cast<char>(rest | 0x80);
  out[9] = 1;  // The top bit of 64.
  return out + 10;
}

// Writes `value` as protobuf's varint writer does (1 to 10 bytes), and
// returns the end of what it wrote.
inline char* WriteVarint(uint64_t value, char* out) {
  // One and two bytes first, as protobuf's writer tests them: most values
  // are that short. One byte falls through: a type, node ids, a term.
  if (value < 0x80) [[likely]] {
    *out = static_cast<char>(value);
    return out + 1;
  }
  if (value < 0x4000) {
    out[0] = static_cast<char>(value | 0x80);
    out[1] = static_cast<char>(value >> 7);
    return out + 2;
  }
  if constexpr (std::endian::native == std::endian::little) {
    if (value >= uint64_t{1} << 49) return WriteLongVarint(value, out);
  }
  do {
    *out++ = static_cast<char>(value | 0x80);
    value >>= 7;
  } while (value >= 0x80);
  *out++ = static_cast<char>(value);
  return out;
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
