#include "properties/kv_history.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kv::properties {
namespace {

std::string Show(const std::optional<std::string>& v) { return v.has_value() ? *v : "<absent>"; }

}  // namespace

size_t KvHistory::write_count() const {
  size_t n = 0;
  for (const KeyWrites& key_writes : key_writes_) n += key_writes.writes.size();
  return n;
}

std::vector<std::string> KvHistory::keys() const {
  std::vector<std::string> out;
  out.reserve(handles_.size());
  for (const auto& [key, handle] : handles_) {
    if (!key_writes_[handle].writes.empty()) out.push_back(key);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int KvHistory::LastAppliedBefore(const KeyWrites& key_writes, env::TimeNs t_ns) const {
  const std::vector<KvWrite>& writes = key_writes.writes;
  // Backwards from the last write returned before t_ns, the first applied
  // one. With returns in order those writes are a prefix, whose end a
  // binary search finds; otherwise the scan starts at the very end (a scan
  // from the start visited every write of the key for every read, and one
  // from the end still visited the writes after a read's call).
  auto end = writes.end();
  if (key_writes.returns_in_order) {
    end = std::partition_point(writes.begin(), writes.end(),
                               [t_ns](const KvWrite& w) { return w.return_ns < t_ns; });
  }
  for (int i = static_cast<int>(end - writes.begin()) - 1; i >= 0; --i) {
    if (writes[i].outcome == KvOutcome::kApplied && writes[i].return_ns < t_ns) return i;
  }
  return -1;
}

std::vector<std::string> KvHistory::CheckReads() const {
  static const KeyWrites kNone;
  std::vector<std::string> failures;
  for (const KvRead& r : reads_) {
    auto it = handles_.find(r.key);
    const KeyWrites& key_writes = it == handles_.end() ? kNone : key_writes_[it->second];
    const std::vector<KvWrite>& writes = key_writes.writes;
    const int floor = LastAppliedBefore(key_writes, r.call_ns);
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
    const KeyWrites& key_writes = key_writes_[handles_.at(key)];
    const std::vector<KvWrite>& writes = key_writes.writes;
    auto it = final_values.find(key);
    const std::optional<std::string> final_value = it == final_values.end() ? std::nullopt : it->second;
    const int floor = LastAppliedBefore(key_writes, INT64_MAX);
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
