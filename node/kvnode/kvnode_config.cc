#include "node/kvnode/kvnode_config.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "node/env/status_macros.h"

namespace kv::kvnode {
namespace {

// The most bytes of the user's input that an error message quotes. A config
// file may hold anything (a binary file given as --config); a bounded
// excerpt is enough to find the line.
constexpr size_t kMaxQuotedBytes = 80;

// `bytes` as an error message shows them: at most kMaxQuotedBytes of them,
// and "..." when cut. They are not escaped here: the message reaches the
// terminal only through the log (kvnode_main.cc), whose msg escapes control
// and non-ASCII bytes (backend::QuoteLogValue). Escaped here as well, they
// were escaped twice: ESC showed as "\\x1b".
std::string Shown(absl::string_view bytes) {
  std::string shown(bytes.substr(0, kMaxQuotedBytes));
  if (bytes.size() > kMaxQuotedBytes) shown += "...";
  return shown;
}

absl::Status SetInt(absl::string_view key, absl::string_view value, int64_t min, int64_t& out) {
  if (!absl::SimpleAtoi(value, &out) || out < min) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", key, "=", Shown(value), ": expected an integer >= ", min));
  }
  return absl::OkStatus();
}

absl::Status SetIntInRange(absl::string_view key, absl::string_view value, int64_t min, int64_t max,
                           int64_t& out) {
  if (!absl::SimpleAtoi(value, &out) || out < min || out > max) {
    return absl::InvalidArgumentError(absl::StrCat("--", key, "=", Shown(value),
                                                   ": expected an integer in [", min, ", ", max, "]"));
  }
  return absl::OkStatus();
}

absl::Status Apply(absl::string_view key, absl::string_view value, KvnodeConfig& c) {
  if (key == "node_id") return SetInt(key, value, 0, c.node_id);
  if (key == "cluster") {
    c.cluster_path = std::string(value);
    return absl::OkStatus();
  }
  if (key == "data_dir") {
    c.data_dir = std::string(value);
    return absl::OkStatus();
  }
  if (key == "backend") {
    // ParseBackendKind's own message would quote the value unescaped.
    absl::StatusOr<backend::BackendKind> kind = backend::ParseBackendKind(value);
    if (!kind.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--backend=", Shown(value), ": unknown backend; expected epoll, uring or uring-poll"));
    }
    c.backend = *kind;
    return absl::OkStatus();
  }
  if (key == "memory_limit_bytes") return SetInt(key, value, 1 << 20, c.memory_limit_bytes);
  if (key == "shutdown_drain_ms") {
    return SetIntInRange(key, value, 0, kMaxShutdownDrainMs, c.shutdown_drain_ms);
  }
  if (key == "block_cache_bytes") return SetInt(key, value, 1 << 20, c.block_cache_bytes);
  if (key == "log_level") {
    if (!backend::ParseLogLevel(value, c.log_level)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--log_level=", Shown(value), ": expected debug, info, warn or error"));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown option \"", Shown(key), "\""));
}

// Splits the command line into --config's value and the other flags, in
// order. A flag given twice is refused rather than the last one winning
// silently, as kvsim does: one of the two was a mistake.
absl::Status ScanCommandLine(const std::vector<std::string>& args, std::string& config_path,
                             std::vector<std::pair<std::string, std::string>>& flags) {
  std::set<std::string> seen;
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", Shown(arg), "\""));
    }
    const size_t eq = arg.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("flag \"--", Shown(arg), "\" needs =value"));
    }
    std::string key(arg.substr(0, eq));
    std::string value(arg.substr(eq + 1));
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", Shown(key), " given twice"));
    }
    if (key == "config") {
      config_path = std::move(value);
    } else {
      flags.emplace_back(std::move(key), std::move(value));
    }
  }
  return absl::OkStatus();
}

// Applies the config file's options to `config`. An option set twice in the
// file is refused, like a flag given twice on the command line; the same
// option in the file and on the command line is not (the command line
// overrides the file, docs/operating.md).
absl::Status ApplyConfigFile(const std::string& path, KvnodeConfig& config) {
  KV_ASSIGN_OR_RETURN(std::string text, ReadFileForKvnode(path));
  std::map<std::string, int> first_line_of_key;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number,
                                                     ": expected key = value, got \"", Shown(line), "\""));
    }
    absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, eq));
    absl::ConsumePrefix(&key, "--");
    const auto [first, inserted] = first_line_of_key.emplace(std::string(key), line_number);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ": option \"", Shown(key),
                                                     "\" given twice (first on line ", first->second,
                                                     ")"));
    }
    absl::Status s = Apply(key, absl::StripAsciiWhitespace(line.substr(eq + 1)), config);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFileForKvnode(const std::string& path) {
  // An ifstream opens a directory and reads it as empty: a config path that
  // names one would silently mean "no options".
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", path, "\" is a directory, not a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read \"", path, "\""));
  std::string text;
  char buffer[64 << 10];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(text.size()) > kMaxKvnodeFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", path, "\" is larger than ", kMaxKvnodeFileBytes, " bytes"));
    }
  }
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read \"", path, "\""));
  return text;
}

absl::StatusOr<KvnodeConfig> ParseKvnodeFlags(const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_path;
  KV_RETURN_IF_ERROR(ScanCommandLine(args, config_path, flags));
  KvnodeConfig config;
  if (!config_path.empty()) KV_RETURN_IF_ERROR(ApplyConfigFile(config_path, config));
  for (const auto& [key, value] : flags) KV_RETURN_IF_ERROR(Apply(key, value, config));
  if (config.node_id < 0) return absl::InvalidArgumentError("--node_id is required");
  if (config.cluster_path.empty()) return absl::InvalidArgumentError("--cluster is required");
  if (config.data_dir.empty()) return absl::InvalidArgumentError("--data_dir is required");
  return config;
}

absl::StatusOr<node::Cluster> LoadCluster(const KvnodeConfig& config) {
  KV_ASSIGN_OR_RETURN(std::string text, ReadFileForKvnode(config.cluster_path));
  absl::StatusOr<node::Cluster> cluster = node::Cluster::Parse(text);
  if (!cluster.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster file ", config.cluster_path, ": ", cluster.status().message()));
  }
  if (config.node_id >= cluster->node_count()) {
    return absl::InvalidArgumentError(absl::StrCat("--node_id=", config.node_id, " is not in ",
                                                   config.cluster_path, " (", cluster->node_count(),
                                                   " nodes)"));
  }
  for (const auto& node : cluster->config().nodes()) {
    if (node.peer_address().empty() || node.client_address().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cluster file ", config.cluster_path, ": node ", node.id(),
          " needs peer_address and client_address"));
    }
  }
  return cluster;
}

std::string KvnodeUsage() {
  return "usage: kvnode --node_id=N --cluster=FILE --data_dir=DIR [--config=FILE]\n"
         "              [--backend=epoll|uring|uring-poll] [--memory_limit_bytes=B]\n"
         "              [--log_level=debug|info|warn|error] [--shutdown_drain_ms=MS]\n"
         "              [--block_cache_bytes=B]\n"
         "Listen addresses come from the cluster file. See docs/operating.md.\n";
}

}  // namespace kv::kvnode
