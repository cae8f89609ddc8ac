#pragma once
// kvctl's command line: the flags before (or among) the command words, and
// their checks. Pure, so the checks are tested without a cluster. Layer:
// node/kvctl (the client binary).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/backend/event_loop.h"

namespace kv::kvctl {

// The longest --timeout_ms: one day. In nanoseconds, larger values would
// overflow int64 (the client's deadline).
inline constexpr int64_t kMaxTimeoutMs = 24 * 3600 * 1000;

struct KvctlFlags {
  std::string cluster_path;  // --cluster; required.
  backend::BackendKind backend = backend::BackendKind::kEpoll;
  int64_t timeout_ms = 5000;  // Invariant: 1 <= timeout_ms <= kMaxTimeoutMs.
  std::vector<std::string> command;  // The command and its arguments, in order; not empty.
};

// Parses argv (argv[0] is the program). Anything that is not one of the
// three flags is a word of the command, so keys and values may start with
// "--". Errors: kInvalidArgument naming the offending flag and the range, or
// a flag given twice.
[[nodiscard]] absl::StatusOr<KvctlFlags> ParseKvctlFlags(const std::vector<std::string>& argv);

}  // namespace kv::kvctl
