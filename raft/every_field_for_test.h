#pragma once
// Test support: give a protobuf message's fields non-default values through
// its descriptor, so that a field added to a .proto and forgotten by a
// hand-written copier, clearer or codec shows up in that code's test.
// Layer: raft (tests of raft/ and node/ use it).

#include <cstdint>

#include <gtest/gtest.h>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace kv::raft {

// Sets `field` (the i-th of its message) to a non-default value if it is a
// singular scalar or string; returns false, setting nothing, otherwise.
inline bool SetScalarField(google::protobuf::Message& message,
                           const google::protobuf::FieldDescriptor* field, int i) {
  using google::protobuf::FieldDescriptor;
  if (field->is_repeated()) return false;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT64:
      reflection->SetUInt64(&message, field, 7 + static_cast<uint64_t>(i));
      return true;
    case FieldDescriptor::CPPTYPE_BOOL:
      reflection->SetBool(&message, field, true);
      return true;
    case FieldDescriptor::CPPTYPE_ENUM:
      reflection->SetEnumValue(&message, field, 3);
      return true;
    case FieldDescriptor::CPPTYPE_STRING:
      reflection->SetString(&message, field, "chunk");
      return true;
    default:
      return false;
  }
}

// Sets every field of `message`, which must all be singular scalars or
// strings (a test failure names any other).
inline void SetEveryScalarField(google::protobuf::Message& message) {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (!SetScalarField(message, descriptor->field(i), i)) {
      ADD_FAILURE() << descriptor->full_name() << " field " << descriptor->field(i)->name()
                    << " has a type this test does not set";
    }
  }
}

}  // namespace kv::raft
