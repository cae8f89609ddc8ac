#include "node/kv/log_payload_reader.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::node {
namespace {

raft::Entry GenEntry() {
  raft::Entry e;
  e.set_term(*rc::gen::arbitrary<uint64_t>());
  e.set_index(*rc::gen::arbitrary<uint64_t>());
  e.set_type(static_cast<raft::EntryType>(*rc::gen::inRange(0, 2)));
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

}  // namespace
}  // namespace kv::node
