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
#include "node/env/types.h"

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
  void RecordWrite(const std::string& key, KvWrite write) { AddWrite(key, write.return_ns) = std::move(write); }
  // Records a write in place, as RecordWrite: returns the new record, with
  // `return_ns` set, for the caller to fill in (a record built apart and
  // moved in cost a move of its value per write). The caller must leave
  // its return_ns as it is. Valid until the key's next write is recorded.
  KvWrite& AddWrite(const std::string& key, env::TimeNs return_ns) { return AddWrite(HandleOf(key), return_ns); }

  // A key's writes by a handle, for a writer that records many: the
  // handle, got once, saves looking the key up at every write (its hash
  // showed). Handles stay valid for the history's life.
  using KeyHandle = uint32_t;
  KeyHandle HandleOf(const std::string& key) {
    const auto [it, inserted] = handles_.try_emplace(key, static_cast<KeyHandle>(key_writes_.size()));
    if (inserted) key_writes_.emplace_back().writes.reserve(writes_per_key_);
    return it->second;
  }
  // As AddWrite above, for the key of `key`.
  KvWrite& AddWrite(KeyHandle key, env::TimeNs return_ns) {
    KeyWrites& key_writes = key_writes_[key];
    if (!key_writes.writes.empty() && return_ns < key_writes.writes.back().return_ns) {
      key_writes.returns_in_order = false;
    }
    KvWrite& write = key_writes.writes.emplace_back();
    write.return_ns = return_ns;
    return write;
  }
  void RecordRead(KvRead read) { reads_.push_back(std::move(read)); }
  // Records a read built in place: returns the new, empty record for the
  // caller to fill in (a record built apart and moved in cost a move of
  // its strings per read). Valid until the next read is recorded.
  KvRead& AddRead() { return reads_.emplace_back(); }
  // Makes room for `reads` reads up front: a list grown by appending moved
  // every read recorded so far (two strings each) at each doubling.
  void ReserveReads(size_t reads) { reads_.reserve(reads); }
  // Makes room for `writes` writes in each key's list as the key gets its
  // handle (keys that have one already are left as they are): a key's list
  // grown by appending moved every write (a string each) at each doubling.
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
  // One key's writes, in the order its owner issued them.
  struct KeyWrites {
    std::vector<KvWrite> writes;
    // Whether return times never decrease along `writes`, as they do not
    // for an owner with one write in flight at a time (the workload's):
    // the writes returned before a time are then a prefix, found by a
    // binary search.
    bool returns_in_order = true;
  };

  // Index of the last write in `key_writes` acknowledged as applied
  // before `t_ns`, or -1 for none.
  int LastAppliedBefore(const KeyWrites& key_writes, env::TimeNs t_ns) const;

  // Each key's handle, an index into key_writes_. Hashed: every read and
  // every write without a handle looks its key up here (a std::map
  // compared whole keys at each level). Output that lists keys sorts them
  // first. A key got a handle by HandleOf may have no writes yet: what
  // lists keys with writes skips it.
  absl::flat_hash_map<std::string, KeyHandle> handles_;
  std::vector<KeyWrites> key_writes_;
  // What each key's write list reserves when the key gets its handle.
  size_t writes_per_key_ = 0;
  std::vector<KvRead> reads_;
};

}  // namespace kv::properties
