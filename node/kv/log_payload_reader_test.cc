#include "node/kv/log_payload_reader.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::node {
namespace {

// One of 0 to count - 1, each as likely at any size (rc::gen::inRange
// scales its range with the size, so the largest enum values would come up
// only in the last few cases).
rc::Gen<int> AnyOf(int count) { return rc::gen::resize(100, rc::gen::inRange(0, count)); }

raft::Entry GenEntry() {
  raft::Entry e;
  e.set_term(*rc::gen::arbitrary<uint64_t>());
  e.set_index(*rc::gen::arbitrary<uint64_t>());
  e.set_type(static_cast<raft::EntryType>(*AnyOf(raft::EntryType_ARRAYSIZE)));
  e.set_data(*rc::gen::container<std::string>(*rc::gen::inRange(0, 300), rc::gen::arbitrary<char>()));
  return e;
}

// What protobuf's serializer writes, the reader decodes to the same entry.
RC_GTEST_PROP(EntryReader, DecodesWhatProtobufWrites, ()) {
  const raft::Entry original = GenEntry();
  raft::Entry read;
  RC_ASSERT(ReadEntry(original.SerializeAsString(), read));
  RC_ASSERT(read.SerializeAsString() == original.SerializeAsString());
}

// Decoded over an entry that held other fields, as the log view and the
// message reader reuse theirs, the reader leaves nothing stale behind:
// absent fields (proto3 omits zeros and empty data) are set too.
RC_GTEST_PROP(EntryReader, DecodesOverAReusedEntry, ()) {
  raft::Entry read = GenEntry();
  raft::Entry original = GenEntry();
  if (*rc::gen::arbitrary<bool>()) original.set_term(0);
  if (*rc::gen::arbitrary<bool>()) original.set_index(0);
  if (*rc::gen::arbitrary<bool>()) original.set_type(raft::ENTRY_NORMAL);
  if (*rc::gen::arbitrary<bool>()) original.clear_data();
  RC_ASSERT(ReadEntry(original.SerializeAsString(), read));
  RC_ASSERT(read.SerializeAsString() == original.SerializeAsString());
}

// Whatever the bytes, an accepted decoding is protobuf's own.
RC_GTEST_PROP(EntryReader, AcceptsOnlyWhatProtobufReadsAlike, ()) {
  std::string bytes = GenEntry().SerializeAsString();
  const int edits = *rc::gen::inRange(0, 4);
  for (int i = 0; i < edits && !bytes.empty(); ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
    bytes[at] = *rc::gen::arbitrary<char>();
  }
  if (*rc::gen::arbitrary<bool>()) bytes.resize(*rc::gen::inRange<size_t>(0, bytes.size() + 1));
  raft::Entry read;
  if (!ReadEntry(bytes, read)) return;
  raft::Entry parsed;
  RC_ASSERT(parsed.ParseFromString(bytes));
  RC_ASSERT(read.SerializeAsString() == parsed.SerializeAsString());
}

TEST(EntryReader, DeclinesFormsProtobufDoesNotWrite) {
  raft::Entry entry;
  entry.set_term(3);
  entry.set_index(7);
  const std::string bytes = entry.SerializeAsString();
  raft::Entry read;
  // Fields out of order, a repeated field, an unknown field, an unknown
  // entry type, a truncated varint.
  const std::string index_first = bytes.substr(2) + bytes.substr(0, 2);
  EXPECT_FALSE(ReadEntry(index_first, read));
  read.Clear();
  EXPECT_FALSE(ReadEntry(bytes + bytes, read));
  read.Clear();
  EXPECT_FALSE(ReadEntry(bytes + std::string("\x28\x01", 2), read));
  read.Clear();
  EXPECT_FALSE(ReadEntry(std::string("\x18\x05", 2), read));
  read.Clear();
  EXPECT_FALSE(ReadEntry(std::string("\x08\x80", 2), read));
  read.Clear();
  EXPECT_TRUE(ReadEntry(bytes, read));
  EXPECT_EQ(read.term(), 3u);
  EXPECT_EQ(read.index(), 7u);
}

pb::Command GenCommand() {
  pb::Command c;
  c.set_client_id(*rc::gen::arbitrary<uint64_t>());
  c.set_sequence(*rc::gen::arbitrary<uint64_t>());
  c.set_op(static_cast<pb::Op>(*AnyOf(pb::Op_ARRAYSIZE)));
  c.set_key(*rc::gen::container<std::string>(*rc::gen::inRange(0, 40), rc::gen::arbitrary<char>()));
  c.set_value(*rc::gen::container<std::string>(*rc::gen::inRange(0, 300), rc::gen::arbitrary<char>()));
  c.set_expected(*rc::gen::container<std::string>(*rc::gen::inRange(0, 40), rc::gen::arbitrary<char>()));
  c.set_expect_absent(*rc::gen::arbitrary<bool>());
  return c;
}

RC_GTEST_PROP(CommandReader, DecodesWhatProtobufWritesIntoAReusedCommand, ()) {
  const pb::Command original = GenCommand();
  pb::Command read = GenCommand();  // Left over from an earlier command.
  RC_ASSERT(ReadCommand(original.SerializeAsString(), read));
  RC_ASSERT(read.SerializeAsString() == original.SerializeAsString());
}

RC_GTEST_PROP(CommandReader, AcceptsOnlyWhatProtobufReadsAlike, ()) {
  std::string bytes = GenCommand().SerializeAsString();
  const int edits = *rc::gen::inRange(0, 4);
  for (int i = 0; i < edits && !bytes.empty(); ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
    bytes[at] = *rc::gen::arbitrary<char>();
  }
  if (*rc::gen::arbitrary<bool>()) bytes.resize(*rc::gen::inRange<size_t>(0, bytes.size() + 1));
  pb::Command read = GenCommand();
  if (!ReadCommand(bytes, read)) return;
  pb::Command parsed;
  RC_ASSERT(parsed.ParseFromString(bytes));
  RC_ASSERT(read.SerializeAsString() == parsed.SerializeAsString());
}

// The views ReadCommandFields leaves hold what protobuf parses, field by
// field, over a reused CommandFields, for a command as written or damaged.
RC_GTEST_PROP(CommandReader, FieldsHoldWhatProtobufParses, ()) {
  std::string bytes = GenCommand().SerializeAsString();
  if (*rc::gen::arbitrary<bool>() && !bytes.empty()) {
    bytes[*rc::gen::inRange<size_t>(0, bytes.size())] = *rc::gen::arbitrary<char>();
  }
  const pb::Command earlier = GenCommand();
  CommandFields read = FieldsOf(earlier);
  if (!ReadCommandFields(bytes, read)) return;
  pb::Command parsed;
  RC_ASSERT(parsed.ParseFromString(bytes));
  RC_ASSERT(read.client_id == parsed.client_id());
  RC_ASSERT(read.sequence == parsed.sequence());
  RC_ASSERT(read.op == parsed.op());
  RC_ASSERT(read.key == parsed.key());
  RC_ASSERT(read.value == parsed.value());
  RC_ASSERT(read.expected == parsed.expected());
  RC_ASSERT(read.expect_absent == parsed.expect_absent());
}

TEST(CommandReader, DeclinesFormsProtobufDoesNotWrite) {
  pb::Command command;
  command.set_client_id(3);
  command.set_key("k");
  const std::string bytes = command.SerializeAsString();
  pb::Command read;
  // Fields out of order, a repeated field, an unknown field, an unknown op,
  // a bool written as 2, a truncated length.
  EXPECT_FALSE(ReadCommand(bytes.substr(2) + bytes.substr(0, 2), read));
  EXPECT_FALSE(ReadCommand(bytes + bytes, read));
  EXPECT_FALSE(ReadCommand(bytes + std::string("\x40\x01", 2), read));
  EXPECT_FALSE(ReadCommand(std::string("\x18\x09", 2), read));
  EXPECT_FALSE(ReadCommand(std::string("\x38\x02", 2), read));
  EXPECT_FALSE(ReadCommand(std::string("\x22\x05k", 3), read));
  EXPECT_TRUE(ReadCommand(bytes, read));
  EXPECT_EQ(read.client_id(), 3u);
  EXPECT_EQ(read.key(), "k");
}

// Ten-byte varints, read with the bound checked once when ten bytes remain
// and per byte near the end: the largest value, bits past 64 in the tenth
// byte (dropped, as protobuf drops them), and an eleventh byte (declined).
TEST(CommandReader, ReadsTenByteVarintsAsProtobufDoes) {
  const std::string max_id = std::string("\x08", 1) + std::string(9, '\xff') + std::string("\x01", 1);
  const std::string high_bits = std::string("\x08", 1) + std::string(9, '\xff') + std::string("\x7f", 1);
  const std::string eleven = std::string("\x08", 1) + std::string(10, '\xff') + std::string("\x01", 1);
  const std::string key = std::string("\x22\x0c", 2) + std::string(12, 'k');
  for (const std::string& id : {max_id, high_bits, eleven}) {
    for (const std::string& bytes : {id, id + key}) {  // Near the end, then far from it.
      pb::Command read;
      pb::Command parsed;
      const bool accepted = ReadCommand(bytes, read);
      EXPECT_EQ(accepted, id != eleven);
      if (!accepted) continue;
      ASSERT_TRUE(parsed.ParseFromString(bytes));
      EXPECT_EQ(read.client_id(), UINT64_MAX);
      EXPECT_EQ(read.SerializeAsString(), parsed.SerializeAsString());
    }
  }
}

}  // namespace
}  // namespace kv::node
