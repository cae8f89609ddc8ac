#include "properties/kv_history.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::properties {
namespace {

std::string Show(const std::optional<absl::string_view>& v) {
  return v.has_value() ? std::string(*v) : "<absent>";
}

}  // namespace

void KvHistory::RecordWrite(KeyHandle key, KvWrite write) {
  Write& added = AppendWrite(key, write.return_ns);
  added.value = Own(std::move(write.value));
  added.outcome = write.outcome;
  added.call_ns = write.call_ns;
}

void KvHistory::RecordRead(KvRead read) {
  Read& added = reads_.emplace_back();
  added.key = HandleOf(read.key);
  added.observed = Own(std::move(read.observed));
  added.call_ns = read.call_ns;
  added.return_ns = read.return_ns;
}

KvHistory::ValueRef KvHistory::Own(std::optional<std::string> value) {
  if (!value.has_value()) return ValueRef{};
  KV_CHECK_LT(own_values_.size(), size_t{UINT32_MAX});
  own_values_.push_back(*std::move(value));
  return ValueRef{ValueRef::Where::kOwn, static_cast<uint32_t>(own_values_.size() - 1)};
}

std::optional<absl::string_view> KvHistory::ValueOf(ValueRef ref) const {
  switch (ref.where) {
    case ValueRef::Where::kAbsent:
      return std::nullopt;
    case ValueRef::Where::kOperationValue:
      return operations_[ref.index].value;
    case ValueRef::Where::kOperationReadValue:
      return *operations_[ref.index].read_value;
    case ValueRef::Where::kOwn:
      return own_values_[ref.index];
  }
  return std::nullopt;  // Unreachable.
}

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

int KvHistory::LastAppliedBefore(const KeyWrites& key_writes, env::TimeNs t_ns, size_t* hint) const {
  const std::vector<Write>& writes = key_writes.writes;
  // Backwards from the last write returned before t_ns, the first applied
  // one. With returns in order those writes are a prefix, whose end a
  // binary search finds; otherwise the scan starts at the very end (a scan
  // from the start visited every write of the key for every read, and one
  // from the end still visited the writes after a read's call).
  size_t end = writes.size();
  if (key_writes.returns_in_order) end = ReturnedBefore(writes, t_ns, hint);
  for (int i = static_cast<int>(end) - 1; i >= 0; --i) {
    if (writes[i].outcome == KvOutcome::kApplied && writes[i].return_ns < t_ns) return i;
  }
  return -1;
}

size_t KvHistory::ReturnedBefore(const std::vector<Write>& writes, env::TimeNs t_ns, size_t* hint) {
  // The end is where return times (in order) reach t_ns. From where the
  // key's previous read found it, a few steps find it: reads are recorded
  // as they return, so a key's reads come nearly in call order, a write or
  // two apart, and the binary search's dozen steps per read showed. Farther
  // away, the binary search.
  const auto returned_before = [t_ns](const Write& w) { return w.return_ns < t_ns; };
  const auto is_end = [&writes, &returned_before](size_t end) {
    return (end == writes.size() || !returned_before(writes[end])) && (end == 0 || returned_before(writes[end - 1]));
  };
  size_t end = hint == nullptr ? 0 : std::min(*hint, writes.size());
  constexpr int kMaxSteps = 4;
  for (int step = 0; step < kMaxSteps && !is_end(end); ++step) {
    end = end < writes.size() && returned_before(writes[end]) ? end + 1 : end - 1;
  }
  if (!is_end(end)) {
    end = static_cast<size_t>(std::partition_point(writes.begin(), writes.end(), returned_before) - writes.begin());
  }
  if (hint != nullptr) *hint = end;
  return end;
}

std::vector<std::string> KvHistory::CheckReads() const {
  std::vector<std::string> failures;
  // Per key, where the last read's search ended (LastAppliedBefore).
  std::vector<size_t> hints(key_writes_.size(), 0);
  for (const Read& r : reads_) {
    // A key read but never written has a handle and no writes.
    const KeyWrites& key_writes = key_writes_[r.key];
    const std::vector<Write>& writes = key_writes.writes;
    const std::optional<absl::string_view> observed = ValueOf(r.observed);
    const int floor = LastAppliedBefore(key_writes, r.call_ns, &hints[r.key]);
    bool permitted = floor == -1 && !observed.has_value();  // Nothing written yet.
    for (int i = std::max(floor, 0); i < static_cast<int>(writes.size()) && !permitted; ++i) {
      const Write& w = writes[i];
      if (w.outcome == KvOutcome::kNotApplied || w.call_ns >= r.return_ns) continue;
      if (i < floor) continue;
      permitted = ValueOf(w.value) == observed;
    }
    if (!permitted) {
      failures.push_back(absl::StrCat("read of '", key_writes.key, "' in [", r.call_ns, ", ", r.return_ns,
                                      "] saw ", Show(observed), ", but the last write applied before it began was ",
                                      floor == -1 ? "none" : Show(ValueOf(writes[floor].value))));
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
    const std::vector<Write>& writes = key_writes.writes;
    auto it = final_values.find(key);
    std::optional<absl::string_view> final_value;
    if (it != final_values.end() && it->second.has_value()) final_value = *it->second;
    const int floor = LastAppliedBefore(key_writes, INT64_MAX, nullptr);
    bool permitted = floor == -1 && !final_value.has_value();
    for (int i = std::max(floor, 0); i < static_cast<int>(writes.size()) && !permitted; ++i) {
      if (writes[i].outcome == KvOutcome::kNotApplied) continue;
      permitted = ValueOf(writes[i].value) == final_value;
    }
    if (!permitted) {
      failures.push_back(absl::StrCat("durability: key '", key, "' ends as ", Show(final_value),
                                      ", but its last acknowledged write was ",
                                      floor == -1 ? "none" : Show(ValueOf(writes[floor].value))));
    }
  }
  return failures;
}

}  // namespace kv::properties
