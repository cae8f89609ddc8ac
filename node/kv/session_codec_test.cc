#include "node/kv/session_codec.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace kv::node {
namespace {

// Any recorded session (its result set): zero fields, an empty result and
// a negative code included.
RC_GTEST_PROP(SessionCodec, WritesWhatProtobufWrites, ()) {
  pb::Session session;
  if (*rc::gen::arbitrary<bool>()) session.set_sequence(*rc::gen::arbitrary<uint64_t>());
  if (*rc::gen::arbitrary<bool>()) session.set_last_index(*rc::gen::arbitrary<uint64_t>());
  pb::Result* result = session.mutable_result();
  if (*rc::gen::inRange(0, 4) != 0) {
    result->set_code(static_cast<pb::Code>(*rc::gen::inRange(-2, 8)));
    if (*rc::gen::arbitrary<bool>()) {
      result->set_value(
          *rc::gen::container<std::string>(*rc::gen::inRange(0, 300), rc::gen::arbitrary<char>()));
    }
    result->set_found(*rc::gen::arbitrary<bool>());
  }
  std::string fresh;
  EncodeSessionInto(session.sequence(), session.result(), session.last_index(), fresh);
  RC_ASSERT(fresh == session.SerializeAsString());
  // Into a buffer that held anything before: replaced, not extended.
  std::string reused = *rc::gen::container<std::string>(*rc::gen::inRange(0, 40), rc::gen::arbitrary<char>());
  EncodeSessionInto(session.sequence(), session.result(), session.last_index(), reused);
  RC_ASSERT(reused == session.SerializeAsString());
}

// Values around the size where the result's length takes a second byte,
// with the longest numbers (ten-byte ones, a negative code) and the
// shortest: the encoder's one-byte-length path and its general path both
// give protobuf's bytes.
TEST(SessionCodec, WritesWhatProtobufWritesAroundOneByteResultLengths) {
  std::string reused;
  for (size_t value_bytes = 90; value_bytes <= 130; ++value_bytes) {
    for (const uint64_t number : {uint64_t{0}, uint64_t{1}, UINT64_MAX}) {
      for (const int code : {0, 1, -1}) {
        pb::Session session;
        session.set_sequence(number);
        session.set_last_index(number);
        session.mutable_result()->set_code(static_cast<pb::Code>(code));
        session.mutable_result()->set_value(std::string(value_bytes, 'v'));
        session.mutable_result()->set_found(number != 0);
        EncodeSessionInto(session.sequence(), session.result(), session.last_index(), reused);
        EXPECT_EQ(reused, session.SerializeAsString())
            << value_bytes << " value bytes, numbers " << number << ", code " << code;
      }
    }
  }
}

TEST(SessionCodec, TellsUnknownFields) {
  pb::Session session;
  session.set_sequence(4);
  session.mutable_result()->set_found(true);
  EXPECT_FALSE(HasUnknownFields(session));
  // Field 9, varint 1: unknown to this version, in the result and then in
  // the session.
  pb::Session with_unknown_result = session;
  ASSERT_TRUE(with_unknown_result.mutable_result()->MergeFromString(std::string("\x48\x01", 2)));
  EXPECT_TRUE(HasUnknownFields(with_unknown_result));
  ASSERT_TRUE(session.MergeFromString(std::string("\x48\x01", 2)));
  EXPECT_TRUE(HasUnknownFields(session));
}

}  // namespace
}  // namespace kv::node
