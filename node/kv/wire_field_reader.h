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

#include <cstdint>

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
      if (first < 0x80) {
        ++p_;
        return first;
      }
      if (end_ - p_ >= 2 && static_cast<uint8_t>(p_[1]) < 0x80) {
        const uint64_t value = (first & 0x7fu) | static_cast<uint64_t>(static_cast<uint8_t>(p_[1])) << 7;
        p_ += 2;
        return value;
      }
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
    // Most lengths take one byte.
    if (p_ != end_ && static_cast<uint8_t>(*p_) < 0x80) {
      const size_t length = static_cast<uint8_t>(*p_);
      if (length < static_cast<size_t>(end_ - p_)) {
        const char* payload = p_ + 1;
        p_ = payload + length;
        return absl::string_view(payload, length);
      }
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
  const char* p_;  // Next byte to read. Invariant: p_ <= end_.
  const char* end_;
  bool ok_ = true;  // False after a malformed value or a Fail().
};

}  // namespace kv::node::wire
