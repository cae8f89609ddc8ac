#include "properties/linearizability/partition.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "node/env/check.h"
#include "node/env/stable_hash.h"
#include "properties/linearizability/nearly_sorted.h"

namespace kv::properties {
namespace {

// Hands out ids for one key's values in order of first appearance in the
// history, so ids do not depend on hash order (the table is used for
// lookups only). The table's entries and `values` view the history's
// strings, which outlive the partitions (see PartitionByKey): no value is
// copied.
class ValueInterner {
 public:
  // `expected_values`: about how many distinct values will come (a hint,
  // one per operation), reserved up front so that neither table nor list
  // regrows.
  ValueInterner(std::vector<absl::string_view>* values, size_t expected_values) : values_(values) {
    values_->reserve(expected_values + 1);
    values_->assign(1, absl::string_view());  // Slot kAbsent.
    size_t slot_count = 16;
    while (slot_count < 2 * expected_values) slot_count *= 2;
    slots_.assign(slot_count, Slot{});
  }

  RegisterState Intern(const std::string& value) {
    // A read mostly returns, and a CAS expects, one of the two values
    // interned last (the key's latest writes): compared, not hashed and
    // looked up. Only an id handed out already is returned, so ids are as
    // the table alone gives them.
    for (const Recent& recent : recent_) {
      if (recent.id != kAbsent && value.size() == recent.value.size() && absl::string_view(value) == recent.value) {
        return recent.id;
      }
    }
    const uint64_t hash = env::StableHash64(value);
    size_t at = SlotOf(hash, value);
    if (slots_[at].id == kAbsent) {
      if (2 * values_->size() > slots_.size()) {
        Rehash(2 * slots_.size());
        at = SlotOf(hash, value);
      }
      slots_[at] = Slot{hash, static_cast<RegisterState>(values_->size())};
      values_->push_back(value);
    }
    recent_[1] = recent_[0];
    recent_[0] = Recent{value, slots_[at].id};
    return slots_[at].id;
  }

  RegisterState InternOptional(const std::optional<std::string>& value) {
    return value.has_value() ? Intern(*value) : kAbsent;
  }

 private:
  // One slot of an open-addressed table from a value's hash to its id,
  // probed linearly, kept at most half full; id kAbsent marks an empty
  // slot. It replaced a flat_hash_map of views, whose hash and insert cost
  // most of partitioning a history whose writes all write new values.
  struct Slot {
    uint64_t hash = 0;
    RegisterState id = kAbsent;
  };

  // The slot holding `value`, or the empty one where it would go.
  size_t SlotOf(uint64_t hash, absl::string_view value) const {
    const size_t mask = slots_.size() - 1;
    size_t at = static_cast<size_t>(hash) & mask;
    while (slots_[at].id != kAbsent && (slots_[at].hash != hash || (*values_)[slots_[at].id] != value)) {
      at = (at + 1) & mask;
    }
    return at;
  }

  // Moves the used slots into a table of `slot_count` (a power of two).
  void Rehash(size_t slot_count) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(slot_count, Slot{});
    const size_t mask = slot_count - 1;
    for (const Slot& slot : old) {
      if (slot.id == kAbsent) continue;
      size_t at = static_cast<size_t>(slot.hash) & mask;
      while (slots_[at].id != kAbsent) at = (at + 1) & mask;
      slots_[at] = slot;
    }
  }

  std::vector<absl::string_view>* values_;
  // A power of two in size, more than twice the values interned.
  std::vector<Slot> slots_;
  // The two values Intern last looked up, newest first, with their ids;
  // kAbsent (an id Intern never returns) until then, as an empty value is a
  // value.
  struct Recent {
    absl::string_view value;
    RegisterState id = kAbsent;
  };
  Recent recent_[2];
};

// An operation of one key: its call time beside its history index, so that
// ordering a key's operations does not read the history.
struct Call {
  int64_t call_ns;
  size_t index;
};

}  // namespace

std::vector<KeyPartition> PartitionByKey(absl::Span<const Operation> history) { return PartitionByKey(history, {}); }

std::vector<KeyPartition> PartitionByKey(absl::Span<const Operation> history, absl::Span<const uint32_t> key_ids) {
  // Grouped as by a counting sort, in two passes over the history. The
  // first numbers each key's group in order of first appearance (through a
  // hash table used for lookups only) and counts its operations; the second
  // lays every group's operations out in one array, in history order, with
  // the groups in key order: the partition order reaches the result, and
  // keys are unique, so that order is fully determined. One array, where a
  // list per key regrew as it filled. The keys view the history's strings
  // (string_view sorts as std::string does), so a key is copied only once,
  // into its partition.
  struct Group {
    absl::string_view key;
    size_t count = 0;
    // In the second pass, where the group's next operation goes in `calls`;
    // after it, where the group's operations end.
    size_t next = 0;
  };
  constexpr uint32_t kDropped = std::numeric_limits<uint32_t>::max();
  KV_CHECK_LT(history.size(), size_t{kDropped});
  std::vector<Group> groups;
  std::vector<uint32_t> group_of_operation(history.size(), kDropped);
  if (key_ids.empty()) {
    absl::flat_hash_map<absl::string_view, uint32_t> group_of_key;
    for (size_t index = 0; index < history.size(); ++index) {
      const Operation& operation = history[index];
      if (operation.kind == OpKind::kGet && !operation.completed) continue;
      const auto [it, inserted] = group_of_key.try_emplace(operation.key, static_cast<uint32_t>(groups.size()));
      if (inserted) groups.push_back(Group{operation.key});
      ++groups[it->second].count;
      group_of_operation[index] = it->second;
    }
  } else {
    // The same groups, numbered alike (in order of first appearance), found
    // by the caller's numbers in a table: a key's hash and compare cost
    // about a tenth of the partitioning. Each key is still compared with
    // its group's, so a wrong number cannot merge keys unnoticed.
    KV_CHECK_EQ(key_ids.size(), history.size());
    std::vector<uint32_t> group_of_id;
    for (size_t index = 0; index < history.size(); ++index) {
      const Operation& operation = history[index];
      if (operation.kind == OpKind::kGet && !operation.completed) continue;
      const uint32_t id = key_ids[index];
      if (id >= group_of_id.size()) group_of_id.resize(size_t{id} + 1, kDropped);
      uint32_t& group = group_of_id[id];
      if (group == kDropped) {
        group = static_cast<uint32_t>(groups.size());
        groups.push_back(Group{operation.key});
      }
      KV_CHECK_EQ(groups[group].key, operation.key);
      ++groups[group].count;
      group_of_operation[index] = group;
    }
  }
  std::vector<uint32_t> groups_by_key(groups.size());
  std::iota(groups_by_key.begin(), groups_by_key.end(), 0);
  std::sort(groups_by_key.begin(), groups_by_key.end(),
            [&groups](uint32_t a, uint32_t b) { return groups[a].key < groups[b].key; });
  // Keys are unique among the groups (the caller's numbers might not have
  // kept them so): equal ones would sit side by side now.
  for (size_t position = 1; position < groups_by_key.size(); ++position) {
    KV_CHECK_NE(groups[groups_by_key[position - 1]].key, groups[groups_by_key[position]].key);
  }
  size_t calls_before = 0;
  for (const uint32_t group : groups_by_key) {
    groups[group].next = calls_before;
    calls_before += groups[group].count;
  }
  std::vector<Call> calls(calls_before);
  for (size_t index = 0; index < history.size(); ++index) {
    const uint32_t group = group_of_operation[index];
    if (group == kDropped) continue;
    calls[groups[group].next++] = Call{history[index].call_ns, index};
  }
  std::vector<KeyPartition> partitions;
  partitions.reserve(groups.size());
  for (const uint32_t group : groups_by_key) {
    const absl::string_view key = groups[group].key;
    const absl::Span<Call> key_calls(calls.data() + groups[group].next - groups[group].count,
                                     groups[group].count);
    // Number ops in call order, ties in history order: the search then
    // linearizes them roughly in index order, which keeps the cache's
    // stored windows small.
    SortNearlySorted(key_calls, [](const Call& a, const Call& b) { return a.call_ns < b.call_ns; });
    KeyPartition& partition = partitions.emplace_back();
    partition.key = std::string(key);
    partition.ops.reserve(key_calls.size());
    ValueInterner interner(&partition.values, key_calls.size());
    for (const Call& call : key_calls) {
      const size_t index = call.index;
      const Operation& operation = history[index];
      PartitionOp& entry = partition.ops.emplace_back();
      entry.op.kind = operation.kind;
      entry.op.completed = operation.completed;
      if (operation.kind == OpKind::kPut || operation.kind == OpKind::kCas) {
        entry.op.value = interner.Intern(operation.value);
      }
      if (operation.kind == OpKind::kCas) {
        entry.op.expected = interner.InternOptional(operation.expected);
        entry.op.cas_succeeded = operation.cas_succeeded;
      }
      if (operation.kind == OpKind::kGet) {
        entry.op.read_value = interner.InternOptional(operation.read_value);
      }
      entry.call_ns = operation.call_ns;
      entry.return_ns = operation.completed ? operation.return_ns : kNeverReturnedNs;
      entry.history_index = index;
      KV_DCHECK_LE(entry.call_ns, entry.return_ns);
    }
  }
  return partitions;
}

std::optional<std::string> StateValue(const KeyPartition& partition, RegisterState state) {
  KV_CHECK_GE(state, 0);
  KV_CHECK_LT(static_cast<size_t>(state), partition.values.size());
  if (state == kAbsent) return std::nullopt;
  return std::string(partition.values[state]);
}

}  // namespace kv::properties
