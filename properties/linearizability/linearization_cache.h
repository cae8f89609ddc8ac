#pragma once
// Lowe's memoization for the linearizability search: a configuration is the
// set of operations linearized so far plus the model state they produced.
// Two search paths that reach the same configuration have the same future,
// so the second is pruned. Porcupine hashes the bitset and the state
// together and compares entries exactly; we do the same, with the bitset's
// hash kept up to date incrementally (Zobrist hashing: XOR of one fixed
// 64-bit key per operation) so that hashing costs O(1) per step.
// Layer: properties/.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "node/env/check.h"
#include "node/env/random.h"
#include "properties/linearizability/register_model.h"

namespace kv::properties {

// A set of operation indices in [0, op_count), with its hash and the window
// that holds its interesting bits. Operations are numbered in call order, so
// during a search the set is nearly a prefix: every op below low() is in it,
// none at or above high() is, and only the few words between differ between
// configurations. The cache stores just that window.
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
  // The lowest index not in the set (op_count if it is full).
  int32_t low() const { return low_; }
  // One more than the highest index in the set (0 if it is empty).
  // Invariant: low() <= high(); the set is {0..low-1} plus members of [low, high).
  int32_t high() const { return high_; }
  // The words covering [low, high): words_[first_window_word(), +window_word_count()).
  // Empty when low == high. Together with low and high they define the set.
  int32_t first_window_word() const { return low_ / 64; }
  int32_t window_word_count() const { return high_ > low_ ? (high_ - 1) / 64 - low_ / 64 + 1 : 0; }
  const uint64_t* window_words() const { return words_.data() + first_window_word(); }

 private:
  static uint64_t OpKey(int32_t op_index);
  // The lowest index >= from not in the set, or op_count_.
  int32_t NextAbsent(int32_t from) const;
  // The highest index < before in the set, or -1.
  int32_t PreviousPresent(int32_t before) const;

  int32_t op_count_;
  std::vector<uint64_t> words_;
  uint64_t hash_ = 0;
  int32_t low_ = 0;
  int32_t high_ = 0;
};

// Inline: the search adds and removes an op at every step it takes.
inline uint64_t LinearizedSet::OpKey(int32_t op_index) {
  // A fixed function of the index, so the hash of a set never depends on the
  // order in which operations were added.
  return env::Mix64(0x6c696e6561726973ULL, static_cast<uint64_t>(op_index));
}

inline void LinearizedSet::Add(int32_t op_index) {
  KV_DCHECK(!Contains(op_index));
  words_[op_index / 64] |= uint64_t{1} << (op_index % 64);
  hash_ ^= OpKey(op_index);
  if (op_index == low_) {
    // The search linearizes ops mostly in index order, so the next one is
    // usually absent: found without calling the scan.
    const int32_t next = op_index + 1;
    low_ = next < op_count_ && !Contains(next) ? next : NextAbsent(next);
  }
  high_ = std::max(high_, op_index + 1);
  KV_DCHECK_LE(low_, high_);
}

inline void LinearizedSet::Remove(int32_t op_index) {
  KV_DCHECK(Contains(op_index));
  words_[op_index / 64] &= ~(uint64_t{1} << (op_index % 64));
  hash_ ^= OpKey(op_index);
  low_ = std::min(low_, op_index);
  if (op_index + 1 == high_) high_ = PreviousPresent(op_index) + 1;
  KV_DCHECK_LE(low_, high_);
}

inline bool LinearizedSet::Contains(int32_t op_index) const {
  KV_DCHECK_GE(op_index, 0);
  KV_DCHECK_LT(op_index, op_count_);
  return (words_[op_index / 64] >> (op_index % 64)) & 1;
}

// The configurations seen so far. Lookups only: its contents are never
// iterated, so hash-table order cannot reach the result.
class LinearizationCache {
 public:
  // `hash_mask` keeps only some bits of each combined hash. Production uses
  // all 64; tests pass a narrow mask to force collisions, so that the exact
  // comparison behind every hit is exercised.
  explicit LinearizationCache(uint64_t hash_mask = ~uint64_t{0}) : hash_mask_(hash_mask) {}

  // Makes room for `configurations` entries up front. A search of n
  // operations stores at least n (each is linearized once on the way to a
  // verdict); growing to that many rehashed the table at every doubling.
  void Reserve(size_t configurations);

  // Inserts (set, state) and returns true if it was not there yet.
  bool Insert(const LinearizedSet& set, RegisterState state);
  // Whether (set, state) is there, without inserting it.
  bool Contains(const LinearizedSet& set, RegisterState state) const;

  // Number of distinct configurations stored.
  int64_t size() const { return static_cast<int64_t>(entries_.size()); }

 private:
  static constexpr int32_t kNoEntry = -1;

  struct Entry {
    RegisterState state;
    // The set's low() and high(); its window words start at words_offset.
    int32_t low;
    int32_t high;
    size_t words_offset;
    // The next entry with the same combined hash, or kNoEntry.
    int32_t next;
  };

  // One slot of the open-addressed table from a combined hash to the
  // newest entry with that hash, probed linearly from the hash's low bits.
  // It replaced a flat_hash_map, whose probe and insert showed in every step
  // of a search: kept at most half full, this one compares the hash alone.
  // first_plus_one == 0 marks an empty slot, so new slots are zeroed in one
  // pass.
  struct Slot {
    uint64_t hash;
    int32_t first_plus_one;
  };

  // Moves the used slots into a table of `slot_count` slots (a power of
  // two, more than twice the used ones).
  void Rehash(size_t slot_count);
  // The combined hash of (set, state), masked.
  uint64_t HashOf(const LinearizedSet& set, RegisterState state) const;
  // The slot that holds `hash`, or the empty slot where it would go.
  // Precondition: the table has an empty slot.
  size_t SlotOf(uint64_t hash) const;
  // Whether the entries of `slot` hold (set, state) exactly.
  bool SlotHolds(const Slot& slot, const LinearizedSet& set, RegisterState state) const;

  uint64_t hash_mask_;
  // A power of two in size (or empty), never more than half used.
  std::vector<Slot> slots_;
  size_t used_slots_ = 0;
  std::vector<Entry> entries_;
  std::vector<uint64_t> words_;
};

}  // namespace kv::properties
