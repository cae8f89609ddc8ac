#include "node/kvctl/kvctl_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kv::kvctl {

absl::StatusOr<KvctlFlags> ParseKvctlFlags(const std::vector<std::string>& argv) {
  KvctlFlags flags;
  for (size_t i = 1; i < argv.size(); ++i) {
    absl::string_view a = argv[i];
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
