#pragma once
// kvctl's command line: the flags before (or among) the command words, and
// their checks. Pure, so the checks are tested without a cluster. Layer:
// node/kvctl (the client binary).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
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

// Checks a command and its arguments (KvctlFlags::command) against the
// usage text: a known command with exactly its number of arguments, and
// load's COUNT an integer >= 0. Errors: kInvalidArgument naming the unknown
// command, the missing argument or the first extra one.
[[nodiscard]] absl::Status CheckKvctlCommand(const std::vector<std::string>& command);

// Parses argv (argv[0] is the program). Anything that is not one of the
// three flags is a word of the command, so keys and values may start with
// "--". The command is checked with CheckKvctlCommand. Errors:
// kInvalidArgument naming the offending flag and the range, a flag given
// twice, or the command's problem.
[[nodiscard]] absl::StatusOr<KvctlFlags> ParseKvctlFlags(const std::vector<std::string>& argv);

}  // namespace kv::kvctl
