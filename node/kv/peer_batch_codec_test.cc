#include "node/kv/peer_batch_codec.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/kv/kv.pb.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "raft/kept_buffer.h"

namespace kv::node {
namespace {

struct Item {
  uint64_t shard;
  raft::Message message;
};

// A Raft message with arbitrary field values, entries included.
raft::Message GenMessage() {
  raft::Message m;
  m.set_type(static_cast<raft::MessageType>(*rc::gen::inRange(0, 12)));
  m.set_from(*rc::gen::arbitrary<uint64_t>());
  m.set_to(*rc::gen::inRange<uint64_t>(0, 6));
  m.set_term(*rc::gen::arbitrary<uint64_t>());
  m.set_index(*rc::gen::inRange<uint64_t>(0, 1000));
  m.set_commit(*rc::gen::arbitrary<uint64_t>());
  m.set_reject(*rc::gen::arbitrary<bool>());
  const int entries = *rc::gen::inRange(0, 4);
  for (int i = 0; i < entries; ++i) {
    raft::Entry* e = m.add_entries();
    e->set_term(*rc::gen::inRange<uint64_t>(0, 300));
    e->set_index(*rc::gen::inRange<uint64_t>(0, 1u << 20));
    e->set_data(*rc::gen::container<std::string>(*rc::gen::inRange(0, 300), rc::gen::arbitrary<char>()));
  }
  if (*rc::gen::inRange(0, 8) == 0) m.set_snapshot_data(std::string(*rc::gen::inRange(0, 40000), 's'));
  return m;
}

std::vector<Item> GenBatch() {
  std::vector<Item> items(*rc::gen::inRange(0, 12));
  for (Item& item : items) {
    // Zero is omitted on the wire (proto3), so it must be covered.
    item.shard = *rc::gen::element<uint64_t>(0, 1, 8, 300, UINT64_MAX);
    item.message = GenMessage();
  }
  return items;
}

// What protobuf itself makes of the batch.
std::string ProtobufBytes(const std::vector<Item>& items) {
  pb::NodeMessage message;
  for (const Item& item : items) {
    pb::ShardRaftMessage* m = message.mutable_peer()->add_messages();
    m->set_shard(item.shard);
    *m->mutable_message() = item.message;
  }
  return message.SerializeAsString();
}

std::string WriterBytes(PeerBatchWriter& writer, const std::vector<Item>& items) {
  for (const Item& item : items) writer.Add(item.shard, item.message);
  RC_ASSERT(writer.size() == items.size());
  return writer.Take();
}

// Checks that what the reader decoded is what protobuf parses from `bytes`.
void ExpectSameAsProtobuf(const PeerBatchReader& reader, const std::string& bytes) {
  pb::NodeMessage parsed;
  RC_ASSERT(parsed.ParseFromString(bytes));
  RC_ASSERT(parsed.body_case() == pb::NodeMessage::kPeer);
  RC_ASSERT(static_cast<size_t>(parsed.peer().messages_size()) == reader.messages().size());
  for (size_t i = 0; i < reader.messages().size(); ++i) {
    const pb::ShardRaftMessage& want = parsed.peer().messages(static_cast<int>(i));
    RC_ASSERT(reader.messages()[i].shard == want.shard());
    RC_ASSERT(reader.messages()[i].message.SerializeAsString() == want.message().SerializeAsString());
  }
}

RC_GTEST_PROP(PeerBatchCodecTest, WriterEmitsProtobufsBytes, ()) {
  PeerBatchWriter writer;
  // Twice, to cover the writer's reuse after Take().
  for (int round = 0; round < 2; ++round) {
    const std::vector<Item> items = GenBatch();
    if (items.empty()) continue;  // Flush sends no empty batch.
    RC_ASSERT(WriterBytes(writer, items) == ProtobufBytes(items));
    RC_ASSERT(writer.empty());
  }
}

// Around the sizes where a length takes a second byte (a message's, its
// ShardRaftMessage's, the batch's), with one message and with two: the
// writer's one-byte fast paths and its moves are each met.
TEST(PeerBatchCodecTest, WriterEmitsProtobufsBytesAroundOneByteLengths) {
  PeerBatchWriter writer;
  for (size_t data_bytes = 90; data_bytes <= 130; ++data_bytes) {
    for (const uint64_t shard : {uint64_t{0}, uint64_t{1}, uint64_t{300}}) {
      for (size_t count = 1; count <= 2; ++count) {
        std::vector<Item> items(count);
        for (Item& item : items) {
          item.shard = shard;
          item.message.set_type(raft::MSG_APP);
          item.message.set_from(1);
          item.message.set_to(2);
          item.message.add_entries()->set_data(std::string(data_bytes, 'd'));
        }
        for (const Item& item : items) writer.Add(item.shard, item.message);
        EXPECT_EQ(writer.Take(), ProtobufBytes(items)) << data_bytes << " data bytes, shard " << shard
                                                       << ", " << count << " messages";
      }
    }
  }
}

TEST(PeerBatchCodecTest, TakeWithoutMessagesGivesAnEmptyBatch) {
  PeerBatchWriter writer;
  pb::NodeMessage empty;
  empty.mutable_peer();
  EXPECT_EQ(writer.Take(), empty.SerializeAsString());
  raft::Message m;
  m.set_from(1);
  writer.Add(2, m);
  ASSERT_FALSE(writer.Take().empty());
  EXPECT_EQ(writer.Take(), empty.SerializeAsString());
}

// A large message's buffers are not kept for the next batch (kept_buffer.h),
// by the writer nor by the reader; small ones' are reused.
TEST(PeerBatchCodecTest, HugeBuffersAreNotKeptSmallOnesAre) {
  PeerBatchWriter writer;
  PeerBatchReader reader;
  raft::Message huge;
  huge.set_type(raft::MSG_APP);
  huge.add_entries()->set_data(std::string(16 * raft::kMaxKeptBufferBytes, 'h'));
  raft::Message small = huge;
  small.mutable_entries(0)->set_data(std::string(100, 's'));
  // Small first, so the huge message is decoded over a reused slot.
  writer.Add(1, small);
  ASSERT_TRUE(reader.Read(writer.Take()));
  writer.Add(1, huge);
  ASSERT_TRUE(reader.Read(writer.Take()));
  ASSERT_EQ(reader.messages()[0].message.entries(0).data(), huge.entries(0).data());
  EXPECT_LE(writer.kept_buffer_bytes(), raft::kMaxKeptBufferBytes);
  EXPECT_LE(reader.LargestKeptBufferBytes(), raft::kMaxKeptBufferBytes);
  // Small batches reuse the writer's buffer and the reader's slot.
  writer.Add(1, small);
  ASSERT_TRUE(reader.Read(writer.Take()));
  const size_t writer_bytes = writer.kept_buffer_bytes();
  const char* const data = reader.messages()[0].message.entries(0).data().data();
  for (int i = 0; i < 3; ++i) {
    writer.Add(1, small);
    ASSERT_TRUE(reader.Read(writer.Take()));
    EXPECT_EQ(writer.kept_buffer_bytes(), writer_bytes);
    EXPECT_EQ(reader.messages()[0].message.entries(0).data().data(), data);
  }
  EXPECT_GE(reader.LargestKeptBufferBytes(), small.entries(0).data().size());
}

// One reader over several batches, so that reused slots (a smaller batch
// after a larger one, a message without entries after one with) are read.
RC_GTEST_PROP(PeerBatchCodecTest, ReaderDecodesWhatProtobufParses, ()) {
  PeerBatchReader reader;
  PeerBatchWriter writer;
  for (int round = 0; round < 4; ++round) {
    const std::string bytes = WriterBytes(writer, GenBatch());
    RC_ASSERT(reader.Read(bytes));
    ExpectSameAsProtobuf(reader, bytes);
  }
}

// Soundness on arbitrary input: whatever the reader accepts, protobuf
// accepts too, with the same content. (It may decline more; the node then
// parses with protobuf.)
RC_GTEST_PROP(PeerBatchCodecTest, ReaderAcceptsOnlyWhatProtobufParsesTheSame, ()) {
  PeerBatchWriter writer;
  std::string bytes = WriterBytes(writer, GenBatch());
  const int edits = *rc::gen::inRange(1, 4);
  for (int i = 0; i < edits; ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size() + 1);
    const char byte = *rc::gen::element<char>(0x00, 0x08, 0x0a, 0x12, 0x1a, 0x7f, '\x80', '\xff');
    switch (*rc::gen::inRange(0, 3)) {
      case 0: bytes.insert(at, 1, byte); break;
      case 1: if (at < bytes.size()) bytes.erase(at, 1); break;
      default: if (at < bytes.size()) bytes[at] = byte; break;
    }
  }
  PeerBatchReader reader;
  if (reader.Read(bytes)) ExpectSameAsProtobuf(reader, bytes);
}

TEST(PeerBatchCodecTest, ReaderDeclinesOtherBodiesAndForms) {
  PeerBatchReader reader;
  pb::NodeMessage request;
  request.mutable_request()->set_request_id(7);
  EXPECT_FALSE(reader.Read(request.SerializeAsString()));
  EXPECT_FALSE(reader.Read(""));
  // A duplicate message field is valid protobuf (the two merge), but not
  // the writer's form: protobuf must decide.
  pb::NodeMessage batch;
  pb::ShardRaftMessage* m = batch.mutable_peer()->add_messages();
  m->set_shard(3);
  m->mutable_message()->set_from(2);
  std::string bytes = batch.SerializeAsString();
  ASSERT_TRUE(reader.Read(bytes));
  ASSERT_EQ(reader.messages().size(), 1u);
  EXPECT_EQ(reader.messages()[0].shard, 3u);
  EXPECT_EQ(reader.messages()[0].message.from(), 2u);
  // Append a second message field to the (last) ShardRaftMessage: bump both
  // enclosing lengths by the four added bytes.
  ASSERT_LT(bytes[1] + 4, 0x80);
  ASSERT_LT(bytes[3] + 4, 0x80);
  bytes[1] = static_cast<char>(bytes[1] + 4);
  bytes[3] = static_cast<char>(bytes[3] + 4);
  bytes += std::string("\x12\x02\x18\x05", 4);  // message{to: 5}
  pb::NodeMessage merged;
  ASSERT_TRUE(merged.ParseFromString(bytes));
  EXPECT_EQ(merged.peer().messages(0).message().to(), 5u);
  EXPECT_FALSE(reader.Read(bytes));
}

TEST(PeerBatchCodecTest, ReaderDeclinesShardAfterMessage) {
  // NodeMessage{peer: {messages: [{message: {from: 2}, shard: 3}]}}, the
  // fields of the ShardRaftMessage out of number order: valid protobuf, but
  // not the writer's form.
  const std::string bytes("\x0a\x08\x0a\x06\x12\x02\x10\x02\x08\x03", 10);
  pb::NodeMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.peer().messages(0).shard(), 3u);
  EXPECT_EQ(parsed.peer().messages(0).message().from(), 2u);
  PeerBatchReader reader;
  EXPECT_FALSE(reader.Read(bytes));
}

// A message the hand reader declines is parsed by protobuf into its slot,
// unknown fields kept; the hand reader, which does not clear unknown
// fields, must not decode the next batch over them.
TEST(PeerBatchCodecTest, UnknownFieldsDoNotOutliveTheirBatch) {
  PeerBatchReader reader;
  PeerBatchWriter writer;
  raft::Message with_unknown;
  const std::string unknown_field("\xa8\x01\x05", 3);  // Field 21 = 5.
  ASSERT_TRUE(with_unknown.ParseFromString(std::string("\x10\x02", 2) + unknown_field));  // from: 2
  writer.Add(1, with_unknown);
  ASSERT_TRUE(reader.Read(writer.Take()));
  ASSERT_EQ(reader.messages().size(), 1u);
  EXPECT_EQ(reader.messages()[0].message.SerializeAsString(), with_unknown.SerializeAsString());
  raft::Message plain;
  plain.set_from(3);
  writer.Add(1, plain);
  ASSERT_TRUE(reader.Read(writer.Take()));
  ASSERT_EQ(reader.messages().size(), 1u);
  EXPECT_EQ(reader.messages()[0].message.SerializeAsString(), plain.SerializeAsString());
}

TEST(PeerBatchCodecTest, AbsentMessageFieldReadsAsDefaultMessage) {
  PeerBatchReader reader;
  PeerBatchWriter writer;
  raft::Message m;
  m.set_from(4);
  writer.Add(1, m);
  ASSERT_TRUE(reader.Read(writer.Take()));
  pb::NodeMessage batch;
  batch.mutable_peer()->add_messages()->set_shard(2);  // No message field.
  ASSERT_TRUE(reader.Read(batch.SerializeAsString()));
  ASSERT_EQ(reader.messages().size(), 1u);
  EXPECT_EQ(reader.messages()[0].shard, 2u);
  EXPECT_EQ(reader.messages()[0].message.from(), 0u);
}

// NodeMessage{peer: PeerBatch{`count` empty ShardRaftMessages}}: two bytes
// each, the most messages a frame can carry per byte.
std::string BatchOfEmptyMessages(size_t count) {
  pb::NodeMessage message;
  for (size_t i = 0; i < count; ++i) message.mutable_peer()->add_messages();
  return message.SerializeAsString();
}

// A frame of empty messages once decoded into one message object per two
// bytes, kept for the next read: a batch above the limit is refused whole,
// and not as "declined" (which sends a batch on to protobuf).
TEST(PeerBatchCodecTest, ReaderRefusesABatchAboveTheLimit) {
  PeerBatchReader reader;
  ASSERT_TRUE(reader.Read(BatchOfEmptyMessages(kMaxPeerBatchMessages)));
  EXPECT_EQ(reader.messages().size(), kMaxPeerBatchMessages);
  EXPECT_FALSE(reader.over_limit());
  EXPECT_FALSE(reader.Read(BatchOfEmptyMessages(kMaxPeerBatchMessages + 1)));
  EXPECT_TRUE(reader.over_limit());
  // Declined for its form: not over the limit.
  EXPECT_FALSE(reader.Read(std::string("\x0a\x02\x12\x00\x0a\x00", 6)));
  EXPECT_FALSE(reader.over_limit());
  EXPECT_TRUE(reader.Read(BatchOfEmptyMessages(3)));
  EXPECT_FALSE(reader.over_limit());
}

TEST(PeerBatchCodecTest, WithinLimitCountsEveryFormProtobufAccepts) {
  EXPECT_TRUE(PeerBatchWithinLimit(BatchOfEmptyMessages(kMaxPeerBatchMessages)));
  EXPECT_FALSE(PeerBatchWithinLimit(BatchOfEmptyMessages(kMaxPeerBatchMessages + 1)));
  // Two peer fields, which protobuf merges into one batch: counted together.
  const std::string half = BatchOfEmptyMessages(kMaxPeerBatchMessages / 2 + 1);
  pb::NodeMessage merged;
  ASSERT_TRUE(merged.ParseFromString(half + half));
  EXPECT_EQ(static_cast<size_t>(merged.peer().messages_size()), kMaxPeerBatchMessages + 2);
  EXPECT_FALSE(PeerBatchWithinLimit(half + half));
  EXPECT_TRUE(PeerBatchWithinLimit(BatchOfEmptyMessages(kMaxPeerBatchMessages / 2) +
                                   BatchOfEmptyMessages(kMaxPeerBatchMessages / 2)));
  // Other fields, of every wire type, are skipped, not counted.
  pb::NodeMessage request;
  request.mutable_request()->set_request_id(7);
  request.mutable_request()->set_shard(3);
  EXPECT_TRUE(PeerBatchWithinLimit(request.SerializeAsString()));
  EXPECT_TRUE(PeerBatchWithinLimit(std::string("\x09" "12345678" "\x15" "1234", 14)));
  EXPECT_TRUE(PeerBatchWithinLimit(""));
  // What does not walk as the wire format is refused (protobuf would be too).
  for (const std::string& bad : {std::string("\x0a\x05\x0a"), std::string("\x0b"), std::string("\x00", 1),
                                 std::string("\x09" "123"), std::string("\x08\xff")}) {
    EXPECT_FALSE(PeerBatchWithinLimit(bad)) << testing::PrintToString(bad);
    pb::NodeMessage parsed;
    EXPECT_FALSE(parsed.ParseFromString(bad)) << testing::PrintToString(bad);
  }
}

}  // namespace
}  // namespace kv::node
