#include "node/kv/result_copier.h"

#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "raft/every_field_for_test.h"

namespace kv::node {
namespace {

// Field 9, varint 1: unknown to pb::Result.
const std::string kUnknownResultField("\x48\x01", 2);

// Any result: fields set or not, a negative code and a long value included,
// and sometimes an unknown field (present, or parsed and cleared again).
pb::Result ArbitraryResult() {
  pb::Result result;
  if (*rc::gen::inRange(0, 4) == 0) {
    RC_ASSERT(result.ParseFromString(kUnknownResultField));
    if (*rc::gen::arbitrary<bool>()) result.Clear();
  }
  if (*rc::gen::arbitrary<bool>()) result.set_code(static_cast<pb::Code>(*rc::gen::inRange(-2, 8)));
  if (*rc::gen::arbitrary<bool>()) {
    result.set_value(*rc::gen::container<std::string>(*rc::gen::inRange(0, 300), rc::gen::arbitrary<char>()));
  }
  if (*rc::gen::arbitrary<bool>()) result.set_found(*rc::gen::arbitrary<bool>());
  return result;
}

// Over a result that held anything before, the copy is what CopyFrom
// makes, unknown fields included (the serialized form writes them).
RC_GTEST_PROP(ResultCopierTest, CopiesAsCopyFromDoes, ()) {
  const pb::Result from = ArbitraryResult();
  pb::Result to = ArbitraryResult();
  pb::Result expected = to;
  expected.CopyFrom(from);
  CopyResult(from, to);
  RC_ASSERT(to.SerializeAsString() == expected.SerializeAsString());
  RC_ASSERT(to.code() == from.code());
  RC_ASSERT(to.value() == from.value());
  RC_ASSERT(to.found() == from.found());
}

// Every field the proto declares is copied: one added later and not to
// CopyResult fails here.
TEST(ResultCopierTest, CopiesEveryDeclaredField) {
  pb::Result from;
  raft::SetEveryScalarField(from);
  pb::Result to;
  CopyResult(from, to);
  EXPECT_EQ(to.SerializeAsString(), from.SerializeAsString());
}

TEST(ResultCopierTest, DropsTheUnknownFieldsOfWhatItOverwrites) {
  pb::Result to;
  ASSERT_TRUE(to.ParseFromString(kUnknownResultField));
  pb::Result from;
  from.set_code(pb::CODE_OK);
  CopyResult(from, to);
  EXPECT_EQ(to.SerializeAsString(), from.SerializeAsString());
}

TEST(ResultCopierTest, KeepsTheUnknownFieldsOfWhatItCopies) {
  pb::Result from;
  ASSERT_TRUE(from.ParseFromString(kUnknownResultField));
  from.set_value("v");
  pb::Result to;
  to.set_found(true);
  CopyResult(from, to);
  EXPECT_EQ(to.SerializeAsString(), from.SerializeAsString());
}

}  // namespace
}  // namespace kv::node
