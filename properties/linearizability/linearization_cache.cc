#include "properties/linearizability/linearization_cache.h"

#include <algorithm>
#include <bit>

#include "node/env/check.h"
#include "node/env/random.h"

namespace kv::properties {

LinearizedSet::LinearizedSet(int32_t op_count)
    : op_count_(op_count), words_((static_cast<size_t>(op_count) + 63) / 64, 0) {
  KV_CHECK_GE(op_count, 0);
}

int32_t LinearizedSet::NextAbsent(int32_t from) const {
  if (from >= op_count_) return op_count_;
  int32_t word_index = from / 64;
  // Bits below `from` count as present so the scan skips them.
  uint64_t absent = ~words_[word_index] & (~uint64_t{0} << (from % 64));
  while (absent == 0) {
    ++word_index;
    if (static_cast<size_t>(word_index) == words_.size()) return op_count_;
    absent = ~words_[word_index];
  }
  // Bits past op_count are always absent; min() hides them.
  return std::min(op_count_, word_index * 64 + std::countr_zero(absent));
}

int32_t LinearizedSet::PreviousPresent(int32_t before) const {
  if (before <= 0) return -1;
  int32_t word_index = (before - 1) / 64;
  const int32_t bit = (before - 1) % 64;
  uint64_t present = words_[word_index] & (bit == 63 ? ~uint64_t{0} : (uint64_t{2} << bit) - 1);
  while (present == 0) {
    if (word_index == 0) return -1;
    --word_index;
    present = words_[word_index];
  }
  return word_index * 64 + 63 - std::countl_zero(present);
}

void LinearizationCache::Reserve(size_t configurations) {
  // Room for that many distinct hashes at no more than half load.
  size_t slot_count = 16;
  while (slot_count < 2 * configurations) slot_count *= 2;
  if (slot_count > slots_.size()) Rehash(slot_count);
  entries_.reserve(configurations);
}

void LinearizationCache::Rehash(size_t slot_count) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slot_count, Slot{0, 0});
  const size_t mask = slot_count - 1;
  for (const Slot& slot : old) {
    if (slot.first_plus_one == 0) continue;
    size_t at = static_cast<size_t>(slot.hash) & mask;
    while (slots_[at].first_plus_one != 0) at = (at + 1) & mask;
    slots_[at] = slot;
  }
}

uint64_t LinearizationCache::HashOf(const LinearizedSet& set, RegisterState state) const {
  return env::Mix64(set.hash(), static_cast<uint64_t>(state)) & hash_mask_;
}

size_t LinearizationCache::SlotOf(uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  size_t at = static_cast<size_t>(hash) & mask;
  while (slots_[at].first_plus_one != 0 && slots_[at].hash != hash) at = (at + 1) & mask;
  return at;
}

bool LinearizationCache::SlotHolds(const Slot& slot, const LinearizedSet& set, RegisterState state) const {
  const uint64_t* window = set.window_words();
  const int32_t word_count = set.window_word_count();
  // Equal hashes are only candidates: compare state and set exactly. The set
  // is fully described by low, high and the window's words.
  for (int32_t index = slot.first_plus_one - 1; index != kNoEntry; index = entries_[index].next) {
    const Entry& entry = entries_[index];
    if (entry.state != state || entry.low != set.low() || entry.high != set.high()) continue;
    const auto stored = words_.begin() + static_cast<ptrdiff_t>(entry.words_offset);
    if (std::equal(window, window + word_count, stored)) return true;
  }
  return false;
}

bool LinearizationCache::Contains(const LinearizedSet& set, RegisterState state) const {
  if (entries_.empty()) return false;
  return SlotHolds(slots_[SlotOf(HashOf(set, state))], set, state);
}

bool LinearizationCache::Insert(const LinearizedSet& set, RegisterState state) {
  if (2 * (used_slots_ + 1) > slots_.size()) Rehash(std::max<size_t>(2 * slots_.size(), 16));
  const uint64_t hash = HashOf(set, state);
  Slot& slot = slots_[SlotOf(hash)];
  if (SlotHolds(slot, set, state)) return false;
  if (slot.first_plus_one == 0) {
    slot.hash = hash;
    ++used_slots_;
  }
  const uint64_t* window = set.window_words();
  entries_.push_back({state, set.low(), set.high(), words_.size(), slot.first_plus_one - 1});
  words_.insert(words_.end(), window, window + set.window_word_count());
  slot.first_plus_one = static_cast<int32_t>(entries_.size());
  return true;
}

}  // namespace kv::properties
