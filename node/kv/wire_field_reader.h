#pragma once
// Reads a message in protobuf's serialized form field by field, in the
// order the schema gives, for the hand-written readers (raft_message_codec,
// log_payload_reader). Layer: node.
//
// Protobuf writes a message's fields in number order, a set field once (the
// elements of a repeated one together), and omits proto3 defaults. So a
// reader that knows the schema asks, one field after another in that order,
// whether that field comes next, and consumes it if so. A field out of
// order, repeated or unknown is then never consumed: the reader stops short
// of the end, and Finished() says false, which is how such bytes are
// declined. An absent field costs one comparison, and no loop or table
// dispatches on the tag.

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>

#include "absl/strings/string_view.h"
#include "node/kv/wire_bytes.h"

namespace kv::node::wire {

class FieldReader {
 public:
  // Reads `bytes`, which must outlive the reader and the views it returns.
  explicit FieldReader(absl::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  // True if all the bytes were consumed without a malformed value or a
  // Fail(): they were the form protobuf writes, as far as the caller asked.
  bool Finished() const { return p_ == end_ && ok_; }

  // Consumes the one-byte tag `tag` if it comes next.
  bool Take(char tag) {
    if (p_ == end_ || *p_ != tag) return false;
    ++p_;
    return true;
  }

  // Consumes the two-byte tag `first`, `second` (fields 16 to 2047) if it
  // comes next.
  bool Take(char first, char second) {
    if (end_ - p_ < 2 || p_[0] != first || p_[1] != second) return false;
    p_ += 2;
    return true;
  }

  // Reads a varint, as protobuf does, after its tag. On malformed bytes,
  // fails the reader and returns 0.
  uint64_t Varint() {
    // Most values take one or two bytes (indexes, the commit index and
    // heartbeat sequence numbers soon take two).
    if (p_ != end_) {
      const uint8_t first = static_cast<uint8_t>(*p_);
      if (first < 0x80) [[likely]] {
        ++p_;
        return first;
      }
      if (end_ - p_ >= 2 && static_cast<uint8_t>(p_[1]) < 0x80) {
        const uint64_t value = (first & 0x7fu) | static_cast<uint64_t>(static_cast<uint8_t>(p_[1])) << 7;
        p_ += 2;
        return value;
      }
    }
    // Longer ones (client ids are random 64-bit numbers, nine or ten bytes
    // long) are read 8 bytes at a time rather than byte by byte.
    if constexpr (std::endian::native == std::endian::little) {
      if (end_ - p_ >= 8) return LongVarint();
    }
    uint64_t value = 0;
    const char* next = ReadVarint(p_, end_, kMaxVarintBytes, value);
    if (next == nullptr) {
      Fail();
      return 0;
    }
    p_ = next;
    return value;
  }

  // Reads a length-delimited payload after its tag. On malformed bytes
  // (including a length past the end), fails the reader and returns an
  // empty view.
  absl::string_view LengthDelimited() {
    // Most lengths take one byte; values and entries up to 16 KiB, two.
    const size_t left = static_cast<size_t>(end_ - p_);
    if (left >= 1 && static_cast<uint8_t>(p_[0]) < 0x80) [[likely]] {
      const size_t length = static_cast<uint8_t>(p_[0]);
      if (length <= left - 1) return Payload(1, length);
    } else if (left >= 2 && static_cast<uint8_t>(p_[1]) < 0x80) {
      const size_t length = (static_cast<uint8_t>(p_[0]) & 0x7fu) | size_t{static_cast<uint8_t>(p_[1])} << 7;
      if (length <= left - 2) return Payload(2, length);
    }
    const char* field_end = nullptr;
    const char* payload = ReadLength(p_, end_, field_end);
    if (payload == nullptr) {
      Fail();
      return absl::string_view();
    }
    p_ = field_end;
    return absl::string_view(payload, static_cast<size_t>(field_end - payload));
  }

  // Declines the bytes: reading stops, and Finished() is false.
  void Fail() {
    ok_ = false;
    p_ = end_;
  }

 private:
  // The `length` bytes after a `prefix`-byte length, which the caller
  // checked are there; reading resumes after them.
  absl::string_view Payload(size_t prefix, size_t length) {
    const char* payload = p_ + prefix;
    p_ = payload + length;
    return absl::string_view(payload, length);
  }

  // Reads a varint as ReadVarint() does, with at least 8 bytes left: the
  // first 8 at once (the varint ends at the first byte without its high
  // bit), a ninth and tenth one by one.
  uint64_t LongVarint() {
    uint64_t word = 0;
    std::memcpy(&word, p_, sizeof word);  // Little-endian: byte i at bits 8i.
    const uint64_t last_bytes = ~word & 0x8080808080808080u;
    if (last_bytes != 0) {
      const int stop_bit = std::countr_zero(last_bytes);  // 8 * length - 1.
      p_ += stop_bit / 8 + 1;
      return Compact(word & (~uint64_t{0} >> (63 - stop_bit)));
    }
    uint64_t value = Compact(word);
    for (int i = 8; i < kMaxVarintBytes && i < end_ - p_; ++i) {
      const uint8_t byte = static_cast<uint8_t>(p_[i]);
      value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        p_ += i + 1;
        return value;
      }
    }
    Fail();  // Cut short, or longer than protobuf reads.
    return 0;
  }

  // The 7-bit groups of up to 8 varint bytes (little-endian in `word`),
  // joined into one number.
  static uint64_t Compact(uint64_t word) {
    word &= 0x7f7f7f7f7f7f7f7fu;
    word = (word & 0x007f007f007f007fu) | (word & 0x7f007f007f007f00u) >> 1;
    word = (word & 0x00003fff00003fffu) | (word & 0x3fff00003fff0000u) >> 2;
    return (word & 0x000000000fffffffu) | (word & 0x0fffffff00000000u) >> 4;
  }

  const char* p_;  // Next byte to read. Invariant: p_ <= end_.
  const char* end_;
  bool ok_ = true;  // False after a malformed value or a Fail().
};

// The payload of the length-delimited field `tag` (a one-byte tag) if it
// spans all of `bytes`, as a NodeMessage envelope is written; nullopt if
// `bytes` are anything else.
inline std::optional<absl::string_view> OpenField(absl::string_view bytes, char tag) {
  FieldReader reader(bytes);
  if (!reader.Take(tag)) return std::nullopt;
  const absl::string_view payload = reader.LengthDelimited();
  if (!reader.Finished()) return std::nullopt;
  return payload;
}

}  // namespace kv::node::wire
