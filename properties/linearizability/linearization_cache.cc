#include "properties/linearizability/linearization_cache.h"

#include <algorithm>

#include "node/env/check.h"
#include "node/env/random.h"

namespace kv::properties {

LinearizedSet::LinearizedSet(int32_t op_count)
    : op_count_(op_count), words_((static_cast<size_t>(op_count) + 63) / 64, 0) {
  KV_CHECK_GE(op_count, 0);
}

uint64_t LinearizedSet::OpKey(int32_t op_index) {
  // A fixed function of the index, so the hash of a set never depends on the
  // order in which operations were added.
  return env::Mix64(0x6c696e6561726973ULL, static_cast<uint64_t>(op_index));
}

void LinearizedSet::Add(int32_t op_index) {
  KV_DCHECK(!Contains(op_index));
  words_[op_index / 64] |= uint64_t{1} << (op_index % 64);
  hash_ ^= OpKey(op_index);
}

void LinearizedSet::Remove(int32_t op_index) {
  KV_DCHECK(Contains(op_index));
  words_[op_index / 64] &= ~(uint64_t{1} << (op_index % 64));
  hash_ ^= OpKey(op_index);
}

bool LinearizedSet::Contains(int32_t op_index) const {
  KV_DCHECK_GE(op_index, 0);
  KV_DCHECK_LT(op_index, op_count_);
  return (words_[op_index / 64] >> (op_index % 64)) & 1;
}

bool LinearizationCache::Insert(const LinearizedSet& set, RegisterState state) {
  const std::vector<uint64_t>& words = set.words();
  if (states_.empty()) word_count_ = words.size();
  KV_CHECK_EQ(words.size(), word_count_);
  const uint64_t hash = env::Mix64(set.hash(), static_cast<uint64_t>(state));
  const auto it = first_entry_by_hash_.try_emplace(hash, kNoEntry).first;
  // Equal hashes are only candidates: compare state and bitset exactly.
  for (int32_t entry = it->second; entry != kNoEntry; entry = next_[entry]) {
    if (states_[entry] != state) continue;
    const auto stored = words_.begin() + static_cast<ptrdiff_t>(entry * word_count_);
    if (std::equal(words.begin(), words.end(), stored)) return false;
  }
  const int32_t entry = static_cast<int32_t>(states_.size());
  states_.push_back(state);
  next_.push_back(it->second);
  words_.insert(words_.end(), words.begin(), words.end());
  it->second = entry;
  return true;
}

}  // namespace kv::properties
