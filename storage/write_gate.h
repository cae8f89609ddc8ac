#pragma once
// WriteGate: remembers the first I/O failure of a storage and refuses every
// write after it. Layer: storage/.
//
// Why: after a failed write or sync we no longer know what is durable (on
// Linux a failed fsync may already have dropped the dirty pages), so
// acknowledging anything later could acknowledge a write a crash then loses.
// The node must stop serving and restart from what recovery finds (STYLE.md
// section 3). Shared by pointer with in-flight completions, which may run
// after a write fails.

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kv::storage {

class WriteGate {
 public:
  // OK while no failure was recorded; afterwards kFailedPrecondition quoting
  // the first failure.
  [[nodiscard]] absl::Status Check() const {
    if (failure_.ok()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("storage unusable after an earlier I/O failure (restart the node): ",
                     failure_.ToString()));
  }

  // Records `status` if it is the first failure. OK statuses are ignored.
  void Fail(const absl::Status& status) {
    if (failure_.ok()) failure_ = status;
  }

  bool failed() const { return !failure_.ok(); }
  const absl::Status& failure() const { return failure_; }

 private:
  absl::Status failure_;
};

using SharedWriteGate = std::shared_ptr<WriteGate>;

}  // namespace kv::storage
