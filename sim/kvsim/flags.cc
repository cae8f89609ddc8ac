#include "sim/kvsim/flags.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sim/sweep_seeds.h"

namespace kv::sim {

absl::StatusOr<Flags> Flags::Parse(const std::vector<std::string>& args,
                                   const std::set<std::string>& value_flags,
                                   const std::set<std::string>& bool_flags) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_inline_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    if (value_flags.count(name) > 0 && flags.values_.count(name) > 0) {
      // The last value winning would run something other than asked. (A
      // boolean said twice says the same thing.)
      return absl::InvalidArgumentError(absl::StrCat("flag --", name, " given twice"));
    }
    if (bool_flags.count(name) > 0) {
      if (has_inline_value) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " takes no value"));
      }
      flags.values_[name] = "true";
    } else if (value_flags.count(name) > 0) {
      if (!has_inline_value) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
        }
        value = args[++i];
      }
      if (value.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
      flags.values_[name] = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  return flags;
}

absl::StatusOr<uint64_t> Flags::GetUint(const std::string& name, uint64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  uint64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || it->second[0] == '-' || it->second[0] == '+') {
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", name, " wants a non-negative integer, got '", it->second, "'"));
  }
  return value;
}

std::string Flags::GetString(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> Flags::GetSeedRange(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return absl::InvalidArgumentError(absl::StrCat("flag --", name, " is required"));
  return ParseSeedRange(name, it->second);
}

absl::Status CheckOutputFile(const std::string& flag, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (file == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " ", path, ": cannot write: ", std::strerror(errno)));
  }
  std::fclose(file);
  return absl::OkStatus();
}

}  // namespace kv::sim
