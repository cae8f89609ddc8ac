#include "properties/kv_history.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kv::properties {
namespace {

std::string Show(const std::optional<std::string>& v) { return v.has_value() ? *v : "<absent>"; }

}  // namespace

size_t KvHistory::write_count() const {
  size_t n = 0;
  for (const auto& [key, writes] : writes_) n += writes.size();
  return n;
}

std::vector<std::string> KvHistory::keys() const {
  std::vector<std::string> out;
  out.reserve(writes_.size());
  for (const auto& [key, writes] : writes_) out.push_back(key);
  std::sort(out.begin(), out.end());
  return out;
}

int KvHistory::LastAppliedBefore(const std::vector<KvWrite>& writes, env::TimeNs t_ns) const {
  // From the end: a read usually follows its key's recent writes, so the
  // last qualifying write is near the end (a scan from the start visited
  // every write of the key for every read).
  for (int i = static_cast<int>(writes.size()) - 1; i >= 0; --i) {
    if (writes[i].outcome == KvOutcome::kApplied && writes[i].return_ns < t_ns) return i;
  }
  return -1;
}

std::vector<std::string> KvHistory::CheckReads() const {
  static const std::vector<KvWrite> kNone;
  std::vector<std::string> failures;
  for (const KvRead& r : reads_) {
    auto it = writes_.find(r.key);
    const std::vector<KvWrite>& writes = it == writes_.end() ? kNone : it->second;
    const int floor = LastAppliedBefore(writes, r.call_ns);
    bool permitted = floor == -1 && !r.observed.has_value();  // Nothing written yet.
    for (int i = std::max(floor, 0); i < static_cast<int>(writes.size()) && !permitted; ++i) {
      const KvWrite& w = writes[i];
      if (w.outcome == KvOutcome::kNotApplied || w.call_ns >= r.return_ns) continue;
      if (i < floor) continue;
      permitted = w.value == r.observed;
    }
    if (!permitted) {
      failures.push_back(absl::StrCat("read of '", r.key, "' in [", r.call_ns, ", ", r.return_ns,
                                      "] saw ", Show(r.observed), ", but the last write applied before it began was ",
                                      floor == -1 ? "none" : Show(writes[floor].value)));
    }
  }
  return failures;
}

std::vector<std::string> KvHistory::CheckFinal(
    const std::map<std::string, std::optional<std::string>>& final_values) const {
  std::vector<std::string> failures;
  // In ascending key order, so that the failures come out in a fixed order.
  for (const std::string& key : keys()) {
    const std::vector<KvWrite>& writes = writes_.at(key);
    auto it = final_values.find(key);
    const std::optional<std::string> final_value = it == final_values.end() ? std::nullopt : it->second;
    const int floor = LastAppliedBefore(writes, INT64_MAX);
    bool permitted = floor == -1 && !final_value.has_value();
    for (int i = std::max(floor, 0); i < static_cast<int>(writes.size()) && !permitted; ++i) {
      if (writes[i].outcome == KvOutcome::kNotApplied) continue;
      permitted = writes[i].value == final_value;
    }
    if (!permitted) {
      failures.push_back(absl::StrCat("durability: key '", key, "' ends as ", Show(final_value),
                                      ", but its last acknowledged write was ",
                                      floor == -1 ? "none" : Show(writes[floor].value)));
    }
  }
  return failures;
}

}  // namespace kv::properties
