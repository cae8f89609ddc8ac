#include "node/kv/raft_message_codec.h"

#include <cstdint>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::node {
namespace {

// A string of `max_bytes` or fewer arbitrary bytes.
std::string GenBytes(int max_bytes) {
  return *rc::gen::container<std::string>(*rc::gen::inRange(0, max_bytes + 1), rc::gen::arbitrary<char>());
}

// A value that is zero (omitted by proto3) or takes 1 to 10 varint bytes.
uint64_t GenVarint() {
  return *rc::gen::oneOf(rc::gen::just<uint64_t>(0), rc::gen::inRange<uint64_t>(1, 300),
                         rc::gen::arbitrary<uint64_t>());
}

// Enum values protobuf's own enum knows, or (`known_enums` false) also
// other int32s, which proto3 keeps and writes as 10 bytes when negative.
int GenEnum(int max_known, bool known_enums) {
  if (known_enums || *rc::gen::arbitrary<bool>()) return *rc::gen::inRange(0, max_known + 1);
  return *rc::gen::element(-1, -1000, max_known + 1, 1 << 20, INT32_MAX, INT32_MIN);
}

// A Raft message with arbitrary field values: entries, and now and then a
// snapshot chunk with its metadata.
raft::Message GenMessage(bool known_enums) {
  raft::Message m;
  m.set_type(static_cast<raft::MessageType>(GenEnum(raft::MessageType_MAX, known_enums)));
  m.set_from(GenVarint());
  m.set_to(GenVarint());
  m.set_term(GenVarint());
  m.set_log_term(GenVarint());
  m.set_index(GenVarint());
  const int entries = *rc::gen::inRange(0, 5);
  for (int i = 0; i < entries; ++i) {
    raft::Entry* e = m.add_entries();
    e->set_term(GenVarint());
    e->set_index(GenVarint());
    e->set_type(static_cast<raft::EntryType>(GenEnum(raft::EntryType_MAX, known_enums)));
    // Past 127 bytes, an entry's length prefix takes two bytes.
    e->set_data(GenBytes(*rc::gen::element(0, 20, 300)));
  }
  m.set_commit(GenVarint());
  m.set_reject(*rc::gen::arbitrary<bool>());
  m.set_reject_hint(GenVarint());
  m.set_transfer(*rc::gen::arbitrary<bool>());
  m.set_heartbeat_seq(GenVarint());
  if (*rc::gen::inRange(0, 4) == 0) {
    raft::SnapshotMetadata* metadata = m.mutable_snapshot_metadata();  // Set, even if left empty.
    metadata->set_index(GenVarint());
    metadata->set_term(GenVarint());
    if (*rc::gen::arbitrary<bool>()) {
      raft::ConfState* conf = metadata->mutable_conf_state();
      for (int i = *rc::gen::inRange(0, 4); i > 0; --i) conf->add_voters(GenVarint());
      for (int i = *rc::gen::inRange(0, 3); i > 0; --i) conf->add_learners(GenVarint());
    }
    metadata->set_size_bytes(GenVarint());
  }
  m.set_snapshot_offset(GenVarint());
  if (*rc::gen::inRange(0, 4) == 0) m.set_snapshot_data(GenBytes(*rc::gen::element(0, 100, 20000)));
  m.set_snapshot_done(*rc::gen::arbitrary<bool>());
  return m;
}

std::string WriterBytes(const raft::Message& message) {
  const RaftMessageWriter writer;
  const std::optional<size_t> max_bytes = writer.MaxBytes(message);
  RC_ASSERT(max_bytes.has_value());
  std::string out(*max_bytes, '\0');
  const char* end = writer.Write(message, out.data());
  RC_ASSERT(end <= out.data() + out.size());
  out.resize(static_cast<size_t>(end - out.data()));
  return out;
}

RC_GTEST_PROP(RaftMessageCodecTest, WriterEmitsProtobufsBytes, ()) {
  const raft::Message message = GenMessage(/*known_enums=*/false);
  RC_ASSERT(WriterBytes(message) == message.SerializeAsString());
}

// One message read into over and over, as the peer batch reader does, so
// that left-over entries, strings and metadata are covered.
RC_GTEST_PROP(RaftMessageCodecTest, ReaderDecodesWhatProtobufWrites, ()) {
  raft::Message read = GenMessage(/*known_enums=*/true);
  for (int round = 0; round < 3; ++round) {
    const std::string bytes = GenMessage(/*known_enums=*/true).SerializeAsString();
    RC_ASSERT(ReadRaftMessage(bytes, read));
    RC_ASSERT(read.SerializeAsString() == bytes);
  }
}

// Whatever the bytes, an accepted decoding is protobuf's own.
RC_GTEST_PROP(RaftMessageCodecTest, ReaderAcceptsOnlyWhatProtobufParsesTheSame, ()) {
  std::string bytes = GenMessage(/*known_enums=*/true).SerializeAsString();
  const int edits = *rc::gen::inRange(0, 5);
  for (int i = 0; i < edits; ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size() + 1);
    // Tags of raft::Message's fields (entries, metadata, data, the two-byte
    // snapshot_done), continuation bytes, and anything else.
    const char byte = *rc::gen::oneOf(
        rc::gen::element<char>(0x00, 0x01, 0x02, 0x08, 0x0a, 0x38, 0x3a, 0x6a, 0x7a, 0x7f, '\x80', '\xff'),
        rc::gen::arbitrary<char>());
    switch (*rc::gen::inRange(0, 3)) {
      case 0: bytes.insert(at, 1, byte); break;
      case 1: if (at < bytes.size()) bytes.erase(at, 1); break;
      default: if (at < bytes.size()) bytes[at] = byte; break;
    }
  }
  if (*rc::gen::inRange(0, 4) == 0) bytes.resize(*rc::gen::inRange<size_t>(0, bytes.size() + 1));
  raft::Message read = GenMessage(/*known_enums=*/true);
  if (!ReadRaftMessage(bytes, read)) return;
  raft::Message parsed;
  RC_ASSERT(parsed.ParseFromString(bytes));
  RC_ASSERT(read.SerializeAsString() == parsed.SerializeAsString());
}

// Protobuf keeps unknown fields and writes them back; the writer declines
// a message (or entry) that has them, so the caller uses protobuf.
TEST(RaftMessageCodecTest, WriterDeclinesUnknownFields) {
  const RaftMessageWriter writer;
  raft::Message message;
  message.set_term(3);
  ASSERT_TRUE(writer.MaxBytes(message).has_value());
  raft::Message with_unknown;
  ASSERT_TRUE(with_unknown.ParseFromString(message.SerializeAsString() + std::string("\xa8\x01\x05", 3)));
  EXPECT_FALSE(writer.MaxBytes(with_unknown).has_value());

  raft::Entry entry_with_unknown;
  ASSERT_TRUE(entry_with_unknown.ParseFromString(std::string("\x08\x02\x28\x01", 4)));  // term 2, field 5
  *message.add_entries() = entry_with_unknown;
  EXPECT_FALSE(writer.MaxBytes(message).has_value());
}

TEST(RaftMessageCodecTest, ReaderDeclinesFormsProtobufDoesNotWrite) {
  raft::Message message;
  message.set_from(2);
  message.set_term(3);
  message.add_entries()->set_index(4);
  message.set_commit(5);
  const std::string bytes = message.SerializeAsString();
  ASSERT_EQ(bytes, std::string("\x10\x02\x20\x03\x3a\x02\x10\x04\x40\x05", 10));
  raft::Message read;
  ASSERT_TRUE(ReadRaftMessage(bytes, read));
  EXPECT_EQ(read.SerializeAsString(), bytes);
  // Fields out of order, entries after a later field, a repeated field,
  // wrong wire types (which protobuf keeps as unknown fields), an unknown
  // field, an unknown message type, a bool written as 2, a tag and a varint
  // cut short, an entry running past the end, an entry of an unknown type,
  // snapshot metadata with an unknown field.
  const std::string declined[] = {
      bytes.substr(2) + bytes.substr(0, 2),
      bytes + std::string("\x3a\x00", 2),
      bytes + bytes.substr(8),
      bytes + std::string("\x78\x01", 2),
      std::string("\x12\x01\x02", 3),
      bytes + std::string("\x88\x01\x01", 3),
      std::string("\x08\x63", 2),
      std::string("\x48\x02", 2),
      std::string("\x80\x02\x01", 3),
      std::string("\x80", 1),
      std::string("\x10\x80", 2),
      std::string("\x3a\x05\x08", 3),
      std::string("\x3a\x02\x18\x07", 4),
      std::string("\x6a\x02\x28\x01", 4),
  };
  for (const std::string& form : declined) {
    EXPECT_FALSE(ReadRaftMessage(form, read)) << testing::PrintToString(form);
  }
  // Consecutive entries, snapshot metadata and the two-byte snapshot_done
  // tag are protobuf's form.
  ASSERT_TRUE(ReadRaftMessage(std::string("\x3a\x00\x3a\x02\x08\x01\x6a\x02\x08\x07\x80\x01\x01", 13), read));
  EXPECT_EQ(read.entries_size(), 2);
  EXPECT_EQ(read.entries(1).term(), 1u);
  EXPECT_EQ(read.snapshot_metadata().index(), 7u);
  EXPECT_TRUE(read.snapshot_done());
}

TEST(RaftMessageCodecTest, ReaderReusesEntryStorage) {
  raft::Message message;
  message.add_entries()->set_data(std::string(200, 'x'));
  raft::Message read;
  ASSERT_TRUE(ReadRaftMessage(message.SerializeAsString(), read));
  const std::string* data = &read.entries(0).data();
  const size_t capacity = data->capacity();
  ASSERT_GE(capacity, 200u);
  message.mutable_entries(0)->set_data("short");
  ASSERT_TRUE(ReadRaftMessage(message.SerializeAsString(), read));
  EXPECT_EQ(&read.entries(0).data(), data);
  EXPECT_EQ(read.entries(0).data(), "short");
  EXPECT_EQ(read.entries(0).data().capacity(), capacity);
}

}  // namespace
}  // namespace kv::node
