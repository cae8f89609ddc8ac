#pragma once
// Flags: a small, strict command-line parser for kvsim. Layer: sim (binary).
//
// Accepts `--name value` and `--name=value`, and bare `--name` for booleans.
// Every flag a command does not declare, every missing or malformed value,
// a value flag given twice, and every stray positional argument is an
// error with a clear message.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kv::sim {

class Flags {
 public:
  // Parses `args` (without the program and command names). `value_flags`
  // take a value; `bool_flags` take none.
  [[nodiscard]] static absl::StatusOr<Flags> Parse(const std::vector<std::string>& args,
                                                   const std::set<std::string>& value_flags,
                                                   const std::set<std::string>& bool_flags);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The value of `name` as an unsigned integer, or `fallback` if absent.
  [[nodiscard]] absl::StatusOr<uint64_t> GetUint(const std::string& name, uint64_t fallback) const;
  // The value of `name`, or `fallback` if absent.
  std::string GetString(const std::string& name, const std::string& fallback) const;
  // A seed range "A..B" (inclusive, A <= B) or a single seed "A".
  [[nodiscard]] absl::StatusOr<std::pair<uint64_t, uint64_t>> GetSeedRange(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

// Whether the file `path`, named by flag --`flag`, can be written: opened
// for appending (created empty if absent, its content left as it is), so
// that a bad path fails before a run rather than after it.
[[nodiscard]] absl::Status CheckOutputFile(const std::string& flag, const std::string& path);

}  // namespace kv::sim
