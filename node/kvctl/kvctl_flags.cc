#include "node/kvctl/kvctl_flags.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
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

// A command and the arguments it takes, as the usage text writes them.
struct CommandShape {
  absl::string_view name;
  std::vector<absl::string_view> arguments;
};

const std::vector<CommandShape>& CommandShapes() {
  static const auto* const shapes = new std::vector<CommandShape>{
      {"put", {"KEY", "VALUE"}},
      {"get", {"KEY"}},
      {"delete", {"KEY"}},
      {"cas", {"KEY", "EXPECTED|--absent", "NEW"}},
      {"status", {}},
      {"load", {"COUNT", "PREFIX"}},
  };
  return *shapes;
}

// An argument of the user's as an error message quotes it: escaped, so a
// stray control byte cannot reach the terminal.
std::string Quoted(absl::string_view word) { return absl::StrCat("\"", absl::CHexEscape(word), "\""); }

}  // namespace

absl::Status CheckKvctlCommand(const std::vector<std::string>& command) {
  if (command.empty()) return absl::InvalidArgumentError("no command given");
  const std::string& name = command[0];
  const std::vector<CommandShape>& shapes = CommandShapes();
  auto shape = std::find_if(shapes.begin(), shapes.end(),
                            [&](const CommandShape& s) { return s.name == name; });
  if (shape == shapes.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown command ", Quoted(name), "; expected put, get, delete, cas, status or load"));
  }
  std::string synopsis = name;
  for (absl::string_view argument : shape->arguments) absl::StrAppend(&synopsis, " ", argument);
  const size_t given = command.size() - 1;
  // An extra word used to be ignored ("status extra" printed the status),
  // so a mistyped command line could look as if it had done what was meant.
  if (given > shape->arguments.size()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": unexpected extra argument ",
                                                   Quoted(command[shape->arguments.size() + 1]),
                                                   " (usage: ", synopsis, ")"));
  }
  if (given < shape->arguments.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": missing ", shape->arguments[given], " (usage: ", synopsis, ")"));
  }
  int64_t count = 0;
  if (name == "load" && (!absl::SimpleAtoi(command[1], &count) || count < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("load: COUNT ", Quoted(command[1]), " is not an integer >= 0"));
  }
  return absl::OkStatus();
}

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
  if (absl::Status s = CheckKvctlCommand(flags.command); !s.ok()) return s;
  return flags;
}

}  // namespace kv::kvctl
