#include "properties/linearizability/register_model.h"

#include "gtest/gtest.h"

namespace kv::properties {
namespace {

constexpr RegisterState kA = 1;
constexpr RegisterState kB = 2;

RegisterOp Op(OpKind kind) {
  RegisterOp op;
  op.kind = kind;
  return op;
}

TEST(RegisterModelTest, GetMustReadTheCurrentValue) {
  RegisterOp get = Op(OpKind::kGet);
  get.read_value = kA;
  EXPECT_EQ(StepRegister(kA, get), kA);
  EXPECT_EQ(StepRegister(kB, get), std::nullopt);
  EXPECT_EQ(StepRegister(kAbsent, get), std::nullopt);
  get.read_value = kAbsent;
  EXPECT_EQ(StepRegister(kAbsent, get), kAbsent);
}

TEST(RegisterModelTest, PutOverwritesAndDeleteMakesAbsent) {
  RegisterOp put = Op(OpKind::kPut);
  put.value = kB;
  EXPECT_EQ(StepRegister(kAbsent, put), kB);
  EXPECT_EQ(StepRegister(kA, put), kB);
  EXPECT_EQ(StepRegister(kA, Op(OpKind::kDelete)), kAbsent);
  EXPECT_EQ(StepRegister(kAbsent, Op(OpKind::kDelete)), kAbsent);
}

TEST(RegisterModelTest, CasSucceedsExactlyWhenTheExpectedValueIsThere) {
  RegisterOp cas = Op(OpKind::kCas);
  cas.expected = kA;
  cas.value = kB;
  cas.cas_succeeded = true;
  EXPECT_EQ(StepRegister(kA, cas), kB);
  EXPECT_EQ(StepRegister(kB, cas), std::nullopt);
  cas.cas_succeeded = false;
  EXPECT_EQ(StepRegister(kA, cas), std::nullopt);
  EXPECT_EQ(StepRegister(kB, cas), kB);
  EXPECT_EQ(StepRegister(kAbsent, cas), kAbsent);
  // Expecting absent: a create-if-absent.
  cas.expected = kAbsent;
  cas.cas_succeeded = true;
  EXPECT_EQ(StepRegister(kAbsent, cas), kB);
  EXPECT_EQ(StepRegister(kA, cas), std::nullopt);
}

TEST(RegisterModelTest, IndeterminateOpsAreAlwaysLegalButStillActOnTheState) {
  RegisterOp get = Op(OpKind::kGet);
  get.completed = false;
  get.read_value = kA;  // Ignored: the output never arrived.
  EXPECT_EQ(StepRegister(kB, get), kB);
  RegisterOp cas = Op(OpKind::kCas);
  cas.completed = false;
  cas.expected = kA;
  cas.value = kB;
  EXPECT_EQ(StepRegister(kA, cas), kB);
  EXPECT_EQ(StepRegister(kAbsent, cas), kAbsent);
}

TEST(RegisterModelTest, UnknownValueIsPinnedDownOnlyByWhatIsObserved) {
  RegisterOp get = Op(OpKind::kGet);
  get.read_value = kA;
  EXPECT_EQ(StepRegister(kUnknownValue, get), kA);
  get.read_value = kAbsent;
  EXPECT_EQ(StepRegister(kUnknownValue, get), kAbsent);
  get.completed = false;
  EXPECT_EQ(StepRegister(kUnknownValue, get), kUnknownValue);
  RegisterOp put = Op(OpKind::kPut);
  put.value = kB;
  EXPECT_EQ(StepRegister(kUnknownValue, put), kB);
  EXPECT_EQ(StepRegister(kUnknownValue, Op(OpKind::kDelete)), kAbsent);
  RegisterOp cas = Op(OpKind::kCas);
  cas.expected = kA;
  cas.value = kB;
  cas.cas_succeeded = true;
  EXPECT_EQ(StepRegister(kUnknownValue, cas), kB);
  cas.cas_succeeded = false;
  EXPECT_EQ(StepRegister(kUnknownValue, cas), kUnknownValue);
  cas.completed = false;
  EXPECT_EQ(StepRegister(kUnknownValue, cas), kUnknownValue);
}

}  // namespace
}  // namespace kv::properties
