#include "raft/inflights.h"

#include <algorithm>
#include <utility>

#include "raft/raft_check.h"

namespace kv::raft {

Inflights::Inflights(uint64_t max_count, uint64_t max_bytes)
    : max_count_(max_count), max_bytes_(max_bytes) {
  RAFT_CHECK_GE(max_count, uint64_t{1});
}

void Inflights::FreeLE(uint64_t index) {
  while (count_ != 0 && ring_[first_].index <= index) PopOldest();
}

void Inflights::FreeFirstOne() {
  if (count_ != 0) PopOldest();
}

void Inflights::Reset() {
  first_ = 0;
  count_ = 0;
  bytes_ = 0;
}

void Inflights::PopOldest() {
  bytes_ -= ring_[first_].bytes;
  --count_;
  first_ = count_ == 0 ? 0 : Slot(1);
}

void Inflights::Grow() {
  RAFT_CHECK_LT(count_, max_count_);
  const uint64_t size = std::min<uint64_t>(std::max<uint64_t>(2 * ring_.size(), kInitialRingSize), max_count_);
  // Unwrapped into the new ring, oldest first.
  std::vector<Inflight> grown;
  grown.reserve(static_cast<size_t>(size));
  for (size_t i = 0; i < count_; ++i) grown.push_back(ring_[Slot(i)]);
  grown.resize(static_cast<size_t>(size));
  ring_ = std::move(grown);
  first_ = 0;
}

}  // namespace kv::raft
