#pragma once
// Conversion of RocksDB statuses to absl::Status. Layer: storage/ (RocksDB
// backend only). RocksDB reports errors as values and we never abort on one:
// a full disk, corruption or an I/O error becomes a Status with the most
// specific code, the context and RocksDB's own message.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace kv::storage {

// kResourceExhausted for a full disk (ENOSPC), kDataLoss for corruption,
// kUnavailable for I/O errors and "try again", kNotFound, kInvalidArgument,
// kUnimplemented for unsupported operations, kInternal otherwise.
[[nodiscard]] absl::Status FromRocks(const rocksdb::Status& status, absl::string_view context);

}  // namespace kv::storage
