#include "storage/crc32c.h"

#include <array>

namespace kv::storage {
namespace {

// Reflected Castagnoli polynomial.
constexpr uint32_t kPolynomial = 0x82f63b78u;

// tables[k][b] is the CRC of byte b followed by k zero bytes, which lets the
// loop below consume eight bytes per step (slicing-by-8).
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables tables{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    tables[0][b] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      const uint32_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xff];
    }
  }
  return tables;
}

constexpr Tables kTables = MakeTables();

#if defined(__x86_64__)
// The SSE4.2 crc32 instruction computes the same CRC32C, eight bytes per
// instruction. Every journal cell is checksummed when written and again when
// read, so in the simulator this was a few percent of a whole run. The
// result is bit-identical to the table loop (crc32c_test checks both).
__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, absl::string_view data) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint64_t c = ~crc;
  auto step8 = [&c](const uint8_t* at) {
    uint64_t word;
    __builtin_memcpy(&word, at, 8);
    c = __builtin_ia32_crc32di(c, word);
  };
  // 32 bytes per iteration: the loop's own bookkeeping was most of the
  // instructions of an 8-byte step.
  for (const uint8_t* end = p + (n & ~size_t{31}); p != end; p += 32) {
    step8(p);
    step8(p + 8);
    step8(p + 16);
    step8(p + 24);
  }
  // Under 32 bytes left: 16 and 8 by their bits rather than by a loop of
  // 8-byte steps, whose bookkeeping (a count, a compare and a branch per
  // step) cost more than the steps for the short cells most calls get.
  if (n & 16) {
    step8(p);
    step8(p + 8);
    p += 16;
  }
  if (n & 8) {
    step8(p);
    p += 8;
  }
  // The tail in at most three steps (4, 2, 1 bytes) rather than up to seven
  // byte steps: most checksummed cells and headers are short.
  uint32_t c32 = static_cast<uint32_t>(c);
  if (n & 4) {
    uint32_t word;
    __builtin_memcpy(&word, p, 4);
    c32 = __builtin_ia32_crc32si(c32, word);
    p += 4;
  }
  if (n & 2) {
    uint16_t half;
    __builtin_memcpy(&half, p, 2);
    c32 = __builtin_ia32_crc32hi(c32, half);
    p += 2;
  }
  if (n & 1) c32 = __builtin_ia32_crc32qi(c32, *p);
  return ~c32;
}

__attribute__((target("sse4.2"))) uint32_t Of4BytesHardware(const char* bytes) {
  uint32_t word;
  __builtin_memcpy(&word, bytes, 4);
  return ~__builtin_ia32_crc32si(~0u, word);
}
#endif

uint32_t Of4BytesPortable(const char* bytes) {
  return Crc32cExtendPortable(0, absl::string_view(bytes, 4));
}

}  // namespace

#if defined(__x86_64__)
// The implementation is chosen once, when the dynamic loader binds the
// symbol (a GNU indirect function), and calls then go straight to it. A
// test on every call (a load, a bit test and a jump), with ~270k checksums
// in a standard simulation run, showed in the profile; a function-local
// static would have cost a guard per call instead. The resolvers run
// while the loader relocates the program, before any constructor: they
// fill in the CPU flags themselves, and are not instrumented by the
// sanitizers, whose runtime (and ASan's shadow memory) is not up yet.
extern "C" {
__attribute__((no_sanitize("address", "undefined"))) static decltype(&Crc32cExtendPortable)
ResolveCrc32cExtend() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") ? ExtendHardware : Crc32cExtendPortable;
}
__attribute__((no_sanitize("address", "undefined"))) static decltype(&Of4BytesPortable)
ResolveCrc32cOf4Bytes() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") ? Of4BytesHardware : Of4BytesPortable;
}
}

uint32_t Crc32cExtend(uint32_t crc, absl::string_view data)
    __attribute__((ifunc("ResolveCrc32cExtend")));
uint32_t Crc32cOf4Bytes(const char* bytes) __attribute__((ifunc("ResolveCrc32cOf4Bytes")));
#else
uint32_t Crc32cExtend(uint32_t crc, absl::string_view data) {
  return Crc32cExtendPortable(crc, data);
}
uint32_t Crc32cOf4Bytes(const char* bytes) { return Of4BytesPortable(bytes); }
#endif

uint32_t Crc32cExtendPortable(uint32_t crc, absl::string_view data) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint32_t c = ~crc;
  while (n >= 8) {
    // Assemble little-endian words byte by byte: no alignment or
    // endianness assumptions.
    const uint32_t low = c ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                              uint32_t{p[3]} << 24);
    c = kTables[7][low & 0xff] ^ kTables[6][(low >> 8) & 0xff] ^
        kTables[5][(low >> 16) & 0xff] ^ kTables[4][low >> 24] ^ kTables[3][p[4]] ^
        kTables[2][p[5]] ^ kTables[1][p[6]] ^ kTables[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
  return ~c;
}

}  // namespace kv::storage
