#pragma once
// CRC32C (Castagnoli), table-driven, for the checksums on everything storage
// writes. Layer: storage/. Abseil 20220623 has no absl/crc, and RocksDB's
// crc32c is internal, so we carry our own: the SSE4.2 instruction where the
// CPU has it, else slicing-by-8 in portable C++ (same results).

#include <cstdint>

#include "absl/strings/string_view.h"

namespace kv::storage {

// Extends `crc` (the CRC32C of some prefix; 0 for none) with `data`.
uint32_t Crc32cExtend(uint32_t crc, absl::string_view data);

// The same, always by the portable table loop (tests compare the two).
uint32_t Crc32cExtendPortable(uint32_t crc, absl::string_view data);

// CRC32C of `data`. Crc32c("123456789") == 0xE3069283 (RFC 3720, B.4).
inline uint32_t Crc32c(absl::string_view data) { return Crc32cExtend(0, data); }

// Crc32c of the four bytes at `bytes` (a journal record's length field):
// without the general loop's setup, which for four bytes cost more than
// the checksum itself.
uint32_t Crc32cOf4Bytes(const char* bytes);

// Masks a CRC before storing it, as LevelDB does: the CRC of a string that
// itself contains embedded CRCs is otherwise prone to degenerate cases.
inline uint32_t MaskCrc(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// Inverse of MaskCrc.
inline uint32_t UnmaskCrc(uint32_t masked) {
  const uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace kv::storage
