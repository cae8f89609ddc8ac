#include "node/kvctl/kvctl_flags.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kv::kvctl {

namespace {

// Returns the flag `arg` sets ("cluster", "backend" or "timeout_ms"), or an
// empty view for a word of the command.
absl::string_view FlagName(absl::string_view arg) {
  for (absl::string_view name : {"cluster", "backend", "timeout_ms"}) {
    if (absl::StartsWith(arg, absl::StrCat("--", name, "="))) return name;
  }
  return {};
}

}  // namespace

absl::StatusOr<KvctlFlags> ParseKvctlFlags(const std::vector<std::string>& argv) {
  KvctlFlags flags;
  std::set<absl::string_view> seen;
  for (size_t i = 1; i < argv.size(); ++i) {
    absl::string_view a = argv[i];
    // The last of two values used to win silently; kvsim and kvnode refuse
    // a flag given twice, and so does kvctl.
    const absl::string_view name = FlagName(a);
    if (!name.empty() && !seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", name, " given twice"));
    }
    if (absl::ConsumePrefix(&a, "--cluster=")) {
      flags.cluster_path = std::string(a);
    } else if (absl::ConsumePrefix(&a, "--backend=")) {
      absl::StatusOr<backend::BackendKind> kind = backend::ParseBackendKind(a);
      if (!kind.ok()) return kind.status();
      flags.backend = *kind;
    } else if (absl::ConsumePrefix(&a, "--timeout_ms=")) {
      if (!absl::SimpleAtoi(a, &flags.timeout_ms) || flags.timeout_ms < 1 ||
          flags.timeout_ms > kMaxTimeoutMs) {
        return absl::InvalidArgumentError(
            absl::StrCat("--timeout_ms=", a, ": expected an integer in [1, ", kMaxTimeoutMs, "]"));
      }
    } else {
      flags.command.push_back(argv[i]);
    }
  }
  if (flags.cluster_path.empty()) return absl::InvalidArgumentError("--cluster=FILE is required");
  if (flags.command.empty()) return absl::InvalidArgumentError("no command given");
  return flags;
}

}  // namespace kv::kvctl
