#pragma once
// KvHistory and its direct checks: what clients of the KV store did and saw,
// and the properties that can be checked on it without a full
// linearizability search. Layer: properties (reads, changes nothing).
//
// The workload that records it gives every key a single writer (the client
// that owns it), and every written value is unique ("<client>.<seq>"), so:
// - reads: a read must return the value of a write that was not yet
//   superseded when the read began (no stale read): the last write
//   acknowledged before the read's call, or a later one that may have
//   been applied (acknowledged or indeterminate) and was called before the
//   read returned; or "absent" where a delete (or nothing) qualifies;
// - durability: after the run quiesces, each key's value on every replica
//   is that of its last acknowledged write or of a later write that may
//   have been applied.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "node/env/check.h"
#include "node/env/types.h"
#include "properties/linearizability/history.h"

namespace kv::properties {

enum class KvOutcome : uint8_t {
  kApplied,        // Acknowledged: the write took effect.
  kNotApplied,     // Definitely no effect (CAS mismatch, DELETE of absent).
  kIndeterminate,  // Deadline passed: may or may not have taken effect.
};

struct KvWrite {
  std::optional<std::string> value;  // nullopt: a delete.
  env::TimeNs call_ns = 0;
  env::TimeNs return_ns = 0;  // For indeterminate writes: when given up.
  KvOutcome outcome = KvOutcome::kIndeterminate;
};

struct KvRead {
  std::string key;
  env::TimeNs call_ns = 0;
  env::TimeNs return_ns = 0;
  std::optional<std::string> observed;
};

class KvHistory {
 public:
  // Records a write by the key's owner. Writes of one key must be recorded
  // in the order the owner issued them.
  void RecordWrite(const std::string& key, KvWrite write) { RecordWrite(HandleOf(key), std::move(write)); }

  // A key's writes by a handle, for a writer that records many: the
  // handle, got once, saves looking the key up at every write (its hash
  // showed). Handles stay valid for the history's life.
  using KeyHandle = uint32_t;
  KeyHandle HandleOf(const std::string& key) {
    const auto [it, inserted] = handles_.try_emplace(key, static_cast<KeyHandle>(key_writes_.size()));
    if (inserted) {
      KeyWrites& key_writes = key_writes_.emplace_back();
      key_writes.key = key;
      key_writes.writes.reserve(writes_per_key_);
    }
    return it->second;
  }
  // As RecordWrite above, for the key of `key`.
  void RecordWrite(KeyHandle key, KvWrite write);
  void RecordRead(KvRead read);

  // The linearizability checker's records of the same history
  // (properties/linearizability/history.h), which the recorder appends to.
  // Kept here so that the records below can point at their values instead
  // of holding copies: a copy of each value cost an allocation and a free
  // per operation.
  std::vector<Operation>& operations() { return operations_; }
  const std::vector<Operation>& operations() const { return operations_; }
  // The handle of each operation's key, by operation index, for operations
  // recorded by RecordReadOf and RecordWriteOf: CheckLinearizability's key
  // numbers (linearizability_checker.h), which spare it hashing the keys.
  const std::vector<KeyHandle>& operation_keys() const { return operation_keys_; }
  // Makes room for `operations` operations up front, in operations() and
  // operation_keys(): a list grown by appending moved every record at each
  // doubling.
  void ReserveOperations(size_t operations) {
    operations_.reserve(operations);
    operation_keys_.reserve(operations);
  }
  // Records the completed GET operations()[operation_index], of `key`, as
  // a read too: its times and value are the operation's, which must not
  // change after. Precondition: it is the last operation, and each
  // operation before it was recorded by RecordReadOf or RecordWriteOf;
  // operation_index < 2^32.
  void RecordReadOf(KeyHandle key, size_t operation_index);
  // Records a write of `key` whose PUT, CAS or DELETE (completed or timed
  // out) is operations()[operation_index], in issue order as RecordWrite:
  // its value and call time are the operation's, which must not change
  // after; `return_ns` and `outcome` mean what KvWrite's do. Precondition:
  // as RecordReadOf's.
  void RecordWriteOf(KeyHandle key, size_t operation_index, env::TimeNs return_ns, KvOutcome outcome);

  // Makes room for `reads` reads up front: a list grown by appending moved
  // every read recorded so far at each doubling.
  void ReserveReads(size_t reads) { reads_.reserve(reads); }
  // Makes room for `writes` writes in each key's list as the key gets its
  // handle (keys that have one already are left as they are): a key's list
  // grown by appending moved every write at each doubling.
  void ReserveWritesPerKey(size_t writes) { writes_per_key_ = writes; }

  // Every read that returned a stale or never-written value, in words.
  std::vector<std::string> CheckReads() const;
  // Keys whose final value (per `final_value`) is not a permitted one.
  std::vector<std::string> CheckFinal(const std::map<std::string, std::optional<std::string>>& final_values) const;

  size_t write_count() const;
  size_t read_count() const { return reads_.size(); }
  // Keys that have writes, ascending.
  std::vector<std::string> keys() const;

 private:
  // Where a recorded value is held: nowhere (absent), in an operation of
  // operations_ (a write's value or a GET's read value), or in
  // own_values_ (what was recorded without an operation).
  struct ValueRef {
    enum class Where : uint8_t { kAbsent, kOperationValue, kOperationReadValue, kOwn };
    Where where = Where::kAbsent;
    uint32_t index = 0;
  };
  struct Write {
    ValueRef value;
    KvOutcome outcome = KvOutcome::kIndeterminate;
    env::TimeNs call_ns = 0;
    env::TimeNs return_ns = 0;
  };
  struct Read {
    KeyHandle key = 0;
    ValueRef observed;
    env::TimeNs call_ns = 0;
    env::TimeNs return_ns = 0;
  };
  // One key's writes, in the order its owner issued them.
  struct KeyWrites {
    std::string key;
    std::vector<Write> writes;
    // Whether return times never decrease along `writes`, as they do not
    // for an owner with one write in flight at a time (the workload's):
    // the writes returned before a time are then a prefix, found by a
    // binary search.
    bool returns_in_order = true;
  };

  // Appends a write to `key` returned at `return_ns`, for the caller to
  // fill in the rest.
  Write& AppendWrite(KeyHandle key, env::TimeNs return_ns);
  // Keeps `value` in own_values_ (nullopt: absent).
  ValueRef Own(std::optional<std::string> value);
  static uint32_t OperationIndex(size_t operation_index);
  // The value `ref` stands for, nullopt for absent.
  std::optional<absl::string_view> ValueOf(ValueRef ref) const;

  // Index of the last write in `key_writes` acknowledged as applied
  // before `t_ns`, or -1 for none. `hint` (or null): where to start
  // looking, updated; see ReturnedBefore.
  int LastAppliedBefore(const KeyWrites& key_writes, env::TimeNs t_ns, size_t* hint) const;
  // How many of `writes`, whose return times never decrease, returned
  // before `t_ns`. Looks near *hint first (0 without one) and leaves the
  // answer there.
  static size_t ReturnedBefore(const std::vector<Write>& writes, env::TimeNs t_ns, size_t* hint);

  // Each key's handle, an index into key_writes_. Hashed: every write and
  // read without a handle looks its key up here (a std::map compared whole
  // keys at each level). Output that lists keys sorts them first. A key
  // got a handle by HandleOf may have no writes yet: what lists keys with
  // writes skips it.
  absl::flat_hash_map<std::string, KeyHandle> handles_;
  std::vector<KeyWrites> key_writes_;
  // What each key's write list reserves when the key gets its handle.
  size_t writes_per_key_ = 0;
  std::vector<Read> reads_;
  std::vector<Operation> operations_;
  // Invariant: as long as operations_ once its last operation is recorded.
  std::vector<KeyHandle> operation_keys_;
  std::vector<std::string> own_values_;
};

// Inline: the workload records every operation through these.
inline void KvHistory::RecordReadOf(KeyHandle key, size_t operation_index) {
  const Operation& operation = operations_[operation_index];
  KV_DCHECK(operation.kind == OpKind::kGet);
  KV_DCHECK(operation.completed);
  KV_DCHECK_EQ(operation.key, key_writes_[key].key);
  KV_DCHECK_EQ(operation_index, operation_keys_.size());
  operation_keys_.push_back(key);
  Read& added = reads_.emplace_back();
  added.key = key;
  if (operation.read_value.has_value()) {
    added.observed = ValueRef{ValueRef::Where::kOperationReadValue, OperationIndex(operation_index)};
  }
  added.call_ns = operation.call_ns;
  added.return_ns = operation.return_ns;
}

inline void KvHistory::RecordWriteOf(KeyHandle key, size_t operation_index, env::TimeNs return_ns, KvOutcome outcome) {
  const Operation& operation = operations_[operation_index];
  KV_DCHECK(operation.kind != OpKind::kGet);
  KV_DCHECK_EQ(operation.key, key_writes_[key].key);
  KV_DCHECK_EQ(operation_index, operation_keys_.size());
  operation_keys_.push_back(key);
  Write& added = AppendWrite(key, return_ns);
  if (operation.kind != OpKind::kDelete) {
    added.value = ValueRef{ValueRef::Where::kOperationValue, OperationIndex(operation_index)};
  }
  added.outcome = outcome;
  added.call_ns = operation.call_ns;
}

inline KvHistory::Write& KvHistory::AppendWrite(KeyHandle key, env::TimeNs return_ns) {
  KeyWrites& key_writes = key_writes_[key];
  if (!key_writes.writes.empty() && return_ns < key_writes.writes.back().return_ns) {
    key_writes.returns_in_order = false;
  }
  Write& write = key_writes.writes.emplace_back();
  write.return_ns = return_ns;
  return write;
}

inline uint32_t KvHistory::OperationIndex(size_t operation_index) {
  KV_CHECK_LT(operation_index, size_t{UINT32_MAX});
  return static_cast<uint32_t>(operation_index);
}

}  // namespace kv::properties
