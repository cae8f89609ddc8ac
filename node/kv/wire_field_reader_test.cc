#include "node/kv/wire_field_reader.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "node/kv/kv.pb.h"
#include "raft/raft.pb.h"

namespace kv::node::wire {
namespace {

// The varint value protobuf's own reader gets from `bytes`, if any.
bool ProtobufVarint(const std::string& bytes, uint64_t& value, size_t& consumed) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  if (!in.ReadVarint64(&value)) return false;
  consumed = static_cast<size_t>(in.CurrentPosition());
  return true;
}

// On any bytes (a tag, then a varint's worth or less), the reader reads
// the varint protobuf reads, or fails where protobuf fails.
RC_GTEST_PROP(FieldReaderTest, VarintReadsWhatProtobufReads, ()) {
  // Continuation bytes mostly, so that long and over-long varints occur.
  std::string bytes = *rc::gen::container<std::string>(
      *rc::gen::inRange(0, 13),
      rc::gen::oneOf(rc::gen::element<char>('\x80', '\xff', '\x81'), rc::gen::arbitrary<char>()));
  if (*rc::gen::arbitrary<bool>()) {
    // A well-formed varint, which arbitrary bytes rarely are past one byte.
    bytes.resize(kMaxVarintBytes);
    const char* end = WriteVarint(*rc::gen::arbitrary<uint64_t>(), bytes.data());
    bytes.resize(static_cast<size_t>(end - bytes.data()));
    // Sometimes more bytes follow, as they do inside a message (the reader
    // takes long varints 8 bytes at a time when 8 are left).
    bytes += *rc::gen::container<std::string>(*rc::gen::inRange(0, 9), rc::gen::arbitrary<char>());
  }
  const std::string field = std::string("\x08", 1) + bytes;
  FieldReader reader(field);
  RC_ASSERT(reader.Take('\x08'));
  const uint64_t value = reader.Varint();
  uint64_t want = 0;
  size_t consumed = 0;
  if (ProtobufVarint(bytes, want, consumed)) {
    RC_ASSERT(value == want);
    RC_ASSERT(reader.Finished() == (consumed == bytes.size()));
  } else {
    RC_ASSERT(!reader.Finished());
  }
}

// Every varint length up to past protobuf's limit, ending in a small or a
// large last byte or not at all, with and without bytes after it: the
// lengths where the reader changes method (1, 2, 8 bytes left, the ninth
// and tenth byte, the limit) are each met.
TEST(FieldReaderTest, VarintsOfEveryLengthReadAsProtobufReads) {
  for (int continued = 0; continued <= 12; ++continued) {
    for (const int last : {0x00, 0x01, 0x7f, -1}) {  // -1: cut short.
      for (int after = 0; after <= 9; ++after) {
        std::string bytes;
        for (int i = 0; i < continued; ++i) bytes += static_cast<char>(0x80 | (0x35 + 11 * i));
        if (last >= 0) bytes += static_cast<char>(last);
        const std::string field = std::string("\x08", 1) + bytes + std::string(after, '\x01');
        FieldReader reader(field);
        ASSERT_TRUE(reader.Take('\x08'));
        const uint64_t value = reader.Varint();
        uint64_t want = 0;
        size_t consumed = 0;
        SCOPED_TRACE(testing::Message() << continued << " continued, last " << last << ", " << after
                                        << " after");
        if (ProtobufVarint(field.substr(1), want, consumed)) {
          EXPECT_EQ(value, want);
          // The bytes after the varint (all 1s) are left, for the next tag.
          for (size_t left = field.size() - 1 - consumed; left > 0; --left) EXPECT_TRUE(reader.Take('\x01'));
          EXPECT_TRUE(reader.Finished());
        } else {
          EXPECT_FALSE(reader.Finished());
          EXPECT_FALSE(reader.Take(field[1]));  // A failed reader reads on nowhere.
        }
      }
    }
  }
}

TEST(FieldReaderTest, LengthDelimitedStaysWithinTheBytes) {
  // A payload ending exactly at the end, with one- and two-byte lengths.
  // (The reader views its bytes: each string outlives its reader.)
  const std::string exact_bytes("\x0a\x02xy", 4);
  FieldReader exact(exact_bytes);
  ASSERT_TRUE(exact.Take('\x0a'));
  EXPECT_EQ(exact.LengthDelimited(), "xy");
  EXPECT_TRUE(exact.Finished());
  const std::string long_payload(200, 'z');
  const std::string two_byte_length_bytes = std::string("\x0a\xc8\x01", 3) + long_payload;
  FieldReader two_byte_length(two_byte_length_bytes);
  ASSERT_TRUE(two_byte_length.Take('\x0a'));
  EXPECT_EQ(two_byte_length.LengthDelimited(), long_payload);
  EXPECT_TRUE(two_byte_length.Finished());
  // One byte short, with one- and two-byte lengths; a length cut short.
  const std::string short_by_one[] = {std::string("\x0a\x03xy", 4),
                                     std::string("\x0a\xc8\x01", 3) + long_payload.substr(1),
                                     std::string("\x0a\x80", 2)};
  for (const std::string& bytes : short_by_one) {
    FieldReader reader(bytes);
    ASSERT_TRUE(reader.Take('\x0a'));
    EXPECT_EQ(reader.LengthDelimited(), "");
    EXPECT_FALSE(reader.Finished());
  }
}

// Any length prefix (one to three bytes, sometimes longer than it need be)
// before a payload that fits, fills it exactly or falls short: the reader
// reads the payload protobuf reads, or fails where protobuf fails.
RC_GTEST_PROP(FieldReaderTest, LengthDelimitedReadsWhatProtobufReads, ()) {
  const uint64_t length = *rc::gen::oneOf(rc::gen::inRange<uint64_t>(0, 300),
                                          rc::gen::inRange<uint64_t>(0, 40000));
  std::string prefix(kMaxVarintBytes, '\0');
  prefix.resize(static_cast<size_t>(WriteVarint(length, prefix.data()) - prefix.data()));
  if (*rc::gen::arbitrary<bool>()) {
    // Over-long: the last byte continued into a zero byte, as protobuf reads.
    prefix.back() = static_cast<char>(prefix.back() | 0x80);
    prefix += '\0';
  }
  const int64_t delta = *rc::gen::inRange<int64_t>(-2, 3);
  const std::string payload(static_cast<size_t>(std::max<int64_t>(0, static_cast<int64_t>(length) + delta)), 'p');
  const std::string bytes = prefix + payload;
  const std::string field = "\x0a" + bytes;
  FieldReader reader(field);
  RC_ASSERT(reader.Take('\x0a'));
  const absl::string_view read = reader.LengthDelimited();
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  uint32_t want_length = 0;
  std::string want;
  if (in.ReadVarint32(&want_length) && in.ReadString(&want, static_cast<int>(want_length))) {
    RC_ASSERT(read == want);
    RC_ASSERT(reader.Finished() == (static_cast<size_t>(in.CurrentPosition()) == bytes.size()));
  } else {
    RC_ASSERT(read.empty());
    RC_ASSERT(!reader.Finished());
  }
}

// The bytes protobuf's own writer gives for `value`.
std::string ProtobufVarintBytes(uint64_t value) {
  uint8_t bytes[kMaxVarintBytes];
  const uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(value, bytes);
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

// WriteVarint(value) gives protobuf's bytes, as many as VarintBytes(value)
// says, and writes nothing past them (the long varints' 8-byte store stays
// within the varint).
void ExpectWritesProtobufsVarint(uint64_t value) {
  SCOPED_TRACE(testing::Message() << "value " << value);
  std::string written(kMaxVarintBytes + 8, '\xaa');
  const size_t length = static_cast<size_t>(WriteVarint(value, written.data()) - written.data());
  EXPECT_EQ(written.substr(0, length), ProtobufVarintBytes(value));
  EXPECT_EQ(length, VarintBytes(value));
  EXPECT_EQ(written.substr(length), std::string(written.size() - length, '\xaa'));
}

// Every varint length, at both ends of its range and in between: the
// lengths where the writer changes method (1, 2, 3 to 7, 8, 9 and 10
// bytes) are each met, with every 7-bit group all ones and all zeros.
TEST(WireBytesTest, WriteVarintWritesProtobufsBytesAtEveryLength) {
  for (int bits = 0; bits <= 64; ++bits) {
    const uint64_t top = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    ExpectWritesProtobufsVarint(top);
    if (bits < 64) ExpectWritesProtobufsVarint(top + 1);
    ExpectWritesProtobufsVarint(top & 0xaaaaaaaaaaaaaaaau);
    ExpectWritesProtobufsVarint(top & 0x5555555555555555u);
    ExpectWritesProtobufsVarint(top & 0x8102040810204081u);  // One bit per group.
  }
  ExpectWritesProtobufsVarint(EnumValue(-1));
}

RC_GTEST_PROP(WireBytesTest, WriteVarintWritesProtobufsBytes, ()) {
  // Any length: a random number of its low bits kept.
  const uint64_t value = *rc::gen::arbitrary<uint64_t>() >> *rc::gen::inRange(0, 64);
  std::string written(kMaxVarintBytes + 8, '\xaa');
  const size_t length = static_cast<size_t>(WriteVarint(value, written.data()) - written.data());
  RC_ASSERT(written.substr(0, length) == ProtobufVarintBytes(value));
  RC_ASSERT(written.substr(length) == std::string(written.size() - length, '\xaa'));
}

TEST(FieldReaderTest, TakesOnlyTheTagThatComesNext) {
  const std::string bytes("\x80\x01\x01\x08", 4);
  FieldReader reader(bytes);
  EXPECT_FALSE(reader.Take('\x80', '\x02'));
  ASSERT_TRUE(reader.Take('\x80', '\x01'));
  EXPECT_EQ(reader.Varint(), 1u);
  EXPECT_FALSE(reader.Take('\x10'));
  EXPECT_FALSE(reader.Finished());  // The unread tag.
  ASSERT_TRUE(reader.Take('\x08'));
  EXPECT_EQ(reader.Varint(), 0u);  // No value after the tag.
  EXPECT_FALSE(reader.Finished());
  EXPECT_FALSE(reader.Take('\x08'));  // A failed reader takes nothing more.
}

TEST(FieldReaderTest, FailStopsReading) {
  const std::string bytes("\x08\x01", 2);
  FieldReader reader(bytes);
  reader.Fail();
  EXPECT_FALSE(reader.Take('\x08'));
  EXPECT_FALSE(reader.Finished());
  FieldReader empty{absl::string_view()};
  EXPECT_TRUE(empty.Finished());
}

TEST(FieldReaderTest, OpenFieldTakesOnlyOneFieldSpanningTheBytes) {
  const std::string payload(200, 'p');  // A two-byte length.
  const std::string bytes = std::string("\x1a\xc8\x01", 3) + payload;
  ASSERT_TRUE(OpenField(bytes, '\x1a').has_value());
  EXPECT_EQ(*OpenField(bytes, '\x1a'), payload);
  EXPECT_EQ(*OpenField(std::string("\x1a\x00", 2), '\x1a'), "");
  EXPECT_FALSE(OpenField(bytes, '\x12').has_value());                  // Another field.
  EXPECT_FALSE(OpenField(bytes + "x", '\x1a').has_value());            // Bytes after it.
  EXPECT_FALSE(OpenField(bytes.substr(0, 100), '\x1a').has_value());   // Cut short.
  EXPECT_FALSE(OpenField(std::string("\x1a", 1), '\x1a').has_value());  // No length.
  EXPECT_FALSE(OpenField("", '\x1a').has_value());
}

// IsEnumValue(value, max) stands for <Enum>_IsValid(value) only while an
// enum's values run from 0 to max without gaps: an enum given a gap must go
// back to <Enum>_IsValid in its reader.
TEST(FieldReaderTest, ReadEnumsRunFromZeroWithoutGaps) {
  const auto expect_no_gaps = [](int min, int max, bool (*is_valid)(int)) {
    EXPECT_EQ(min, 0);
    for (int value = min; value <= max; ++value) EXPECT_TRUE(is_valid(value)) << value;
    EXPECT_FALSE(is_valid(max + 1));
  };
  expect_no_gaps(pb::Op_MIN, pb::Op_MAX, pb::Op_IsValid);
  expect_no_gaps(pb::Code_MIN, pb::Code_MAX, pb::Code_IsValid);
  expect_no_gaps(raft::EntryType_MIN, raft::EntryType_MAX, raft::EntryType_IsValid);
  expect_no_gaps(raft::MessageType_MIN, raft::MessageType_MAX, raft::MessageType_IsValid);
  EXPECT_TRUE(IsEnumValue(pb::Op_MAX, pb::Op_MAX));
  EXPECT_FALSE(IsEnumValue(pb::Op_MAX + 1, pb::Op_MAX));
  EXPECT_FALSE(IsEnumValue(UINT64_MAX, pb::Op_MAX));  // A negative int32, sign-extended.
}

}  // namespace
}  // namespace kv::node::wire
