#include "sim/fault_coverage.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "faults/fault_plan.h"
#include "storage/sim_disk_fault_kinds.h"

namespace kv::sim {
namespace {

// Sets `rest` to the text after `prefix` on the first line that starts
// with it; false if no line does.
bool LineAfter(absl::string_view report, absl::string_view prefix, absl::string_view& rest) {
  for (absl::string_view line : absl::StrSplit(report, '\n')) {
    if (absl::StartsWith(line, prefix)) {
      rest = line.substr(prefix.size());
      return true;
    }
  }
  return false;
}

// "key=value" tokens of a line into (key, value text) pairs.
std::vector<std::pair<std::string, std::string>> Pairs(absl::string_view line) {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view token : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    const size_t eq = token.find('=');
    if (eq == absl::string_view::npos) continue;
    out.emplace_back(std::string(token.substr(0, eq)), std::string(token.substr(eq + 1)));
  }
  return out;
}

// False for the disk kinds that are no fault when they never fire (torn
// writes, the crash model); true for every other kind.
bool MustFireWhenPlanned(absl::string_view name) {
  for (const storage::SimDiskFaultKind& disk : storage::kSimDiskFaultKinds) {
    if (name == disk.name) return disk.must_fire_when_planned;
  }
  return true;
}

}  // namespace

void FaultCoverage::Add(const std::string& name, bool planned, uint64_t fired) {
  if (!planned && fired == 0) return;
  Kind& kind = kinds_[name];
  kind.planned_seeds += planned;
  kind.fired_seeds += fired > 0;
  kind.times += fired;
}

void FaultCoverage::AddRun(absl::string_view report) {
  ++runs_;
  absl::string_view line;
  // Timed faults: "crash=1/1 restart=1/1", or "none planned".
  if (LineAfter(report, "faults fired: ", line)) {
    for (const auto& [name, value] : Pairs(line)) {
      const std::vector<std::string> parts = absl::StrSplit(value, '/');
      uint64_t fired = 0, planned = 0;
      if (parts.size() == 2 && absl::SimpleAtoi(parts[0], &fired) && absl::SimpleAtoi(parts[1], &planned)) {
        Add(name, planned > 0, fired);
      }
    }
  }
  // Disk faults: rates planned on one line, counts fired on another.
  std::map<std::string, uint64_t> rates, counts;
  if (LineAfter(report, "disk faults ppm: ", line)) {
    for (const auto& [key, value] : Pairs(line)) absl::SimpleAtoi(value, &rates[key]);
  }
  if (LineAfter(report, "disk faults fired: ", line)) {
    for (const auto& [key, value] : Pairs(line)) absl::SimpleAtoi(value, &counts[key]);
  }
  for (const storage::SimDiskFaultKind& disk : storage::kSimDiskFaultKinds) {
    Add(disk.name, rates[disk.report_key] > 0, counts[disk.report_key]);
  }
  // Buggify sites: "buggify (seeded): site=on fired 3/40 site=off ...". A
  // site that is on counts as planned, whether or not it fired.
  if (LineAfter(report, "buggify (", line)) {
    const size_t colon = line.find("): ");
    if (colon == absl::string_view::npos) return;
    const std::vector<absl::string_view> tokens = absl::StrSplit(line.substr(colon + 3), ' ', absl::SkipEmpty());
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (!absl::EndsWith(tokens[i], "=on")) continue;
      const std::string site(tokens[i].substr(0, tokens[i].size() - 3));
      uint64_t fired = 0;
      if (i + 2 < tokens.size() && tokens[i + 1] == "fired") {
        const std::vector<absl::string_view> parts = absl::StrSplit(tokens[i + 2], '/');
        if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &fired)) fired = 0;
      }
      Add(site, true, fired);
    }
  }
}

int FaultCoverage::Rank(const std::string& name) {
  for (int k = 0; k < faults::kFaultKindCount; ++k) {
    if (name == faults::FaultKindName(static_cast<faults::FaultKind>(k))) return k;
  }
  constexpr int kDiskKindCount = static_cast<int>(std::size(storage::kSimDiskFaultKinds));
  for (int d = 0; d < kDiskKindCount; ++d) {
    if (name == storage::kSimDiskFaultKinds[d].name) return faults::kFaultKindCount + d;
  }
  return faults::kFaultKindCount + kDiskKindCount;  // Buggify sites, by name.
}

std::string FaultCoverage::ToString() const {
  std::vector<std::pair<int, std::string>> order;
  for (const auto& [name, kind] : kinds_) {
    if (kind.planned_seeds > 0 || kind.times > 0) order.emplace_back(Rank(name), name);
  }
  if (order.empty()) return "";
  std::sort(order.begin(), order.end());
  std::string out = absl::StrCat("faults over ", runs_, " seeds (seeds fired/planned, times fired):");
  for (const auto& [rank, name] : order) {
    const Kind& kind = kinds_.at(name);
    absl::StrAppend(&out, " ", name, " ", kind.fired_seeds, "/", kind.planned_seeds, " x", kind.times);
  }
  return out;
}

std::string FaultCoverage::NeverFiredToString() const {
  std::vector<std::pair<int, std::string>> order;
  for (const auto& [name, kind] : kinds_) {
    if (kind.planned_seeds > 0 && kind.times == 0 && MustFireWhenPlanned(name)) order.emplace_back(Rank(name), name);
  }
  std::sort(order.begin(), order.end());
  std::string out;
  for (const auto& [rank, name] : order) absl::StrAppend(&out, out.empty() ? "" : " ", name);
  return out;
}

std::string FaultCoverage::SummaryLines() const {
  std::string out = ToString();
  if (out.empty()) return out;
  out += '\n';
  if (const std::string never = NeverFiredToString(); !never.empty()) {
    absl::StrAppend(&out, "faults planned but never fired in any seed: ", never, "\n");
  }
  return out;
}

}  // namespace kv::sim
