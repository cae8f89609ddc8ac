#pragma once
// Lowe's memoization for the linearizability search: a configuration is the
// set of operations linearized so far plus the model state they produced.
// Two search paths that reach the same configuration have the same future,
// so the second is pruned. Porcupine hashes the bitset and the state
// together and compares entries exactly; we do the same, with the bitset's
// hash kept up to date incrementally (Zobrist hashing: XOR of one fixed
// 64-bit key per operation) so that hashing costs O(1) per step.
// Layer: properties/.

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "properties/linearizability/register_model.h"

namespace kv::properties {

// A set of operation indices in [0, op_count), with its hash.
class LinearizedSet {
 public:
  explicit LinearizedSet(int32_t op_count);

  // Precondition: op_index is not in the set.
  void Add(int32_t op_index);
  // Precondition: op_index is in the set.
  void Remove(int32_t op_index);
  bool Contains(int32_t op_index) const;

  // Depends only on the set's contents (and is zero for the empty set).
  uint64_t hash() const { return hash_; }
  const std::vector<uint64_t>& words() const { return words_; }

 private:
  static uint64_t OpKey(int32_t op_index);

  int32_t op_count_;
  std::vector<uint64_t> words_;
  uint64_t hash_ = 0;
};

// The configurations seen so far. Lookups only: its contents are never
// iterated, so hash-table order cannot reach the result.
class LinearizationCache {
 public:
  // Inserts (set, state) and returns true if it was not there yet.
  // Precondition: every set passed has the same op_count.
  bool Insert(const LinearizedSet& set, RegisterState state);

  // Number of distinct configurations stored.
  int64_t size() const { return static_cast<int64_t>(states_.size()); }

 private:
  static constexpr int32_t kNoEntry = -1;

  // Entries with the same combined hash form a chain through next_.
  absl::flat_hash_map<uint64_t, int32_t> first_entry_by_hash_;
  std::vector<RegisterState> states_;
  std::vector<int32_t> next_;
  // Entry i's bitset is words_[i * word_count_, (i + 1) * word_count_).
  std::vector<uint64_t> words_;
  size_t word_count_ = 0;
};

}  // namespace kv::properties
