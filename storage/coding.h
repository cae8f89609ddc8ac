#pragma once
// Byte-level encoding helpers shared by every storage format: fixed-width
// little-endian integers for values, big-endian for keys (so that byte order
// is numeric order), and a bounds-checked reader. Layer: storage/.

#include <bit>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace kv::storage {

// Overwrites 4 bytes at `p`, for headers filled in after what follows them.
inline void EncodeFixed32(char* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(value >> (8 * i));
}

inline void EncodeFixed64(char* p, uint64_t value) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(value >> (8 * i));
}

// The Put* functions encode into a local buffer and append it once: a
// push_back per byte checks capacity and rewrites the terminator each time,
// and with a hard state, an entry header and a record header per log write
// that showed in the simulator's profile.
inline void PutFixed32(std::string& out, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  out.append(buf, sizeof(buf));
}

inline void PutFixed64(std::string& out, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  out.append(buf, sizeof(buf));
}

// Grows `out` by `length` bytes (zeroed) and returns where they start, for
// encoders that know their size up front: one capacity check, then plain
// stores, instead of an append per field. The pointer is valid until `out`
// next changes size.
inline char* GrowBy(std::string& out, size_t length) {
  const size_t old_size = out.size();
  out.resize(old_size + length);
  return out.data() + old_size;
}

// Copies `size` bytes, at most 32, from `from` to `to` (which must not
// overlap) with two loads and two stores of the widest size that fits, the
// second pair ending where the bytes end (overlapping the first when
// shorter); one to three bytes as the first, the middle and the last.
inline void CopyShort(char* to, const char* from, size_t size) {
  const auto copy_ends = [to, from, size](auto word) {
    constexpr size_t kWidth = sizeof(word);
    decltype(word) last;
    __builtin_memcpy(&word, from, kWidth);
    __builtin_memcpy(&last, from + size - kWidth, kWidth);
    __builtin_memcpy(to, &word, kWidth);
    __builtin_memcpy(to + size - kWidth, &last, kWidth);
  };
  struct Bytes16 {
    char bytes[16];
  };
  if (size >= 16) {
    copy_ends(Bytes16{});
  } else if (size >= 8) {
    copy_ends(uint64_t{0});
  } else if (size >= 4) {
    copy_ends(uint32_t{0});
  } else if (size > 0) {
    to[0] = from[0];
    to[size / 2] = from[size / 2];
    to[size - 1] = from[size - 1];
  }
}

// Copies `bytes` to `p` and returns the end of the copy. Up to 32 bytes
// (every key, a session record, most values) inline (CopyShort): the call
// to memcpy, per key and per value of every journal record, cost ~14
// instructions in memcpy plus the caller's registers saved around it.
inline char* CopyBytes(char* p, absl::string_view bytes) {
  if (bytes.size() <= 32) [[likely]] {
    CopyShort(p, bytes.data(), bytes.size());
  } else {
    __builtin_memcpy(p, bytes.data(), bytes.size());
  }
  return p + bytes.size();
}

// Big-endian: used inside keys so that lexicographic order is numeric order.
inline void PutBigEndian64(std::string& out, uint64_t value) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(value >> (8 * (7 - i)));
  out.append(buf, sizeof(buf));
}

// On a little-endian host the decoders are one unaligned load: the compiler
// did not merge the byte loop's loads (it does merge the encoders' stores),
// and every cell and record header read decodes a few of these.
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t value = 0;
  if constexpr (std::endian::native == std::endian::little) {
    __builtin_memcpy(&value, p, sizeof(value));
  } else {
    for (int i = 0; i < 4; ++i) value |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  }
  return value;
}

inline uint64_t DecodeFixed64(const char* p) {
  uint64_t value = 0;
  if constexpr (std::endian::native == std::endian::little) {
    __builtin_memcpy(&value, p, sizeof(value));
  } else {
    for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  }
  return value;
}

inline uint64_t DecodeBigEndian64(const char* p) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(p[i]);
  return value;
}

// Appends a 32-bit length and then the bytes.
inline void PutLengthPrefixed(std::string& out, absl::string_view bytes) {
  PutFixed32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes.data(), bytes.size());
}

// ByteReader: consumes a buffer front to back. Every Read* returns false,
// consuming nothing, when the buffer is too short: decoding never reads out
// of bounds, whatever the bytes.
class ByteReader {
 public:
  explicit ByteReader(absl::string_view bytes) : rest_(bytes) {}

  bool ReadFixed32(uint32_t& value) {
    if (rest_.size() < 4) return false;
    value = DecodeFixed32(rest_.data());
    rest_.remove_prefix(4);
    return true;
  }
  bool ReadFixed64(uint64_t& value) {
    if (rest_.size() < 8) return false;
    value = DecodeFixed64(rest_.data());
    rest_.remove_prefix(8);
    return true;
  }
  bool ReadByte(uint8_t& value) {
    if (rest_.empty()) return false;
    value = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool ReadBytes(size_t count, absl::string_view& bytes) {
    if (rest_.size() < count) return false;
    bytes = rest_.substr(0, count);
    rest_.remove_prefix(count);
    return true;
  }
  bool ReadLengthPrefixed(absl::string_view& bytes) {
    const absl::string_view saved = rest_;
    uint32_t length = 0;
    if (!ReadFixed32(length) || !ReadBytes(length, bytes)) {
      rest_ = saved;
      return false;
    }
    return true;
  }

  absl::string_view rest() const { return rest_; }
  size_t remaining() const { return rest_.size(); }
  bool empty() const { return rest_.empty(); }

 private:
  absl::string_view rest_;
};

}  // namespace kv::storage
