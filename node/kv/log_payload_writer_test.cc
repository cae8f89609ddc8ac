#include "node/kv/log_payload_writer.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "node/kv/log_payload_reader.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::node {
namespace {

// Field values, zero included: proto3 omits zero and empty fields.
// SerializeEntryInto into a fresh buffer.
std::string Serialized(const raft::Entry& entry) {
  std::string bytes;
  SerializeEntryInto(entry, bytes);
  return bytes;
}

uint64_t GenNumber() { return *rc::gen::element<uint64_t>(0, 1, 127, 128, 300, UINT64_MAX); }

RC_GTEST_PROP(EntryWriter, WritesWhatProtobufWrites, ()) {
  raft::Entry entry;
  entry.set_term(*rc::gen::oneOf(rc::gen::just(GenNumber()), rc::gen::arbitrary<uint64_t>()));
  entry.set_index(*rc::gen::oneOf(rc::gen::just(GenNumber()), rc::gen::arbitrary<uint64_t>()));
  // Unknown and negative types too: protobuf writes them as they are.
  entry.set_type(static_cast<raft::EntryType>(*rc::gen::inRange(-2, 4)));
  // Lengths past 127 take a two-byte prefix.
  entry.set_data(*rc::gen::container<std::string>(*rc::gen::inRange(0, 300), rc::gen::arbitrary<char>()));
  RC_ASSERT(EncodeEntry(entry) == entry.SerializeAsString());
  RC_ASSERT(Serialized(entry) == entry.SerializeAsString());
}

// Into a reused buffer, longer or shorter than the entry, with or without
// an unknown field: the same bytes, none of the old ones left.
RC_GTEST_PROP(EntryWriter, SerializeIntoOverwritesWhatTheBufferHeld, ()) {
  raft::Entry entry;
  entry.set_term(*rc::gen::arbitrary<uint64_t>());
  entry.set_index(*rc::gen::arbitrary<uint64_t>());
  entry.set_data(*rc::gen::container<std::string>(*rc::gen::inRange(0, 300), rc::gen::arbitrary<char>()));
  // Field 9, varint 1: unknown to this version.
  if (*rc::gen::arbitrary<bool>()) RC_ASSERT(entry.MergeFromString(std::string("\x48\x01", 2)));
  std::string out(*rc::gen::inRange<size_t>(0, 400), 'g');
  SerializeEntryInto(entry, out);
  RC_ASSERT(out == entry.SerializeAsString());
}

TEST(EntryWriter, KeepsUnknownFields) {
  raft::Entry entry;
  entry.set_term(2);
  entry.set_index(9);
  entry.set_data("put");
  // Field 9, varint 1: unknown to this version. Protobuf writes it back.
  ASSERT_TRUE(entry.MergeFromString(std::string("\x48\x01", 2)));
  const std::string bytes = Serialized(entry);
  EXPECT_EQ(bytes, entry.SerializeAsString());
  EXPECT_NE(bytes.find(std::string("\x48\x01", 2)), std::string::npos);
}

TEST(EntryWriter, ReaderReadsItBack) {
  raft::Entry entry;
  entry.set_term(3);
  entry.set_index(300);
  entry.set_type(raft::ENTRY_CONF_CHANGE);
  entry.set_data(std::string(200, 'x'));
  raft::Entry read;
  ASSERT_TRUE(ReadEntry(Serialized(entry), read));
  EXPECT_EQ(read.term(), 3u);
  EXPECT_EQ(read.index(), 300u);
  EXPECT_EQ(read.type(), raft::ENTRY_CONF_CHANGE);
  EXPECT_EQ(read.data(), entry.data());
}

}  // namespace
}  // namespace kv::node
