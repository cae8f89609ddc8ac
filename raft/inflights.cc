#include "raft/inflights.h"

#include "raft/raft_check.h"

namespace kv::raft {

Inflights::Inflights(uint64_t max_count, uint64_t max_bytes)
    : max_count_(max_count), max_bytes_(max_bytes) {
  RAFT_CHECK_GE(max_count, uint64_t{1});
}

void Inflights::Add(uint64_t index, uint64_t bytes) {
  RAFT_CHECK(!Full());
  if (!entries_.empty()) RAFT_CHECK_GT(index, entries_.back().index);
  entries_.push_back(Inflight{index, bytes});
  bytes_ += bytes;
}

void Inflights::FreeLE(uint64_t index) {
  while (!entries_.empty() && entries_.front().index <= index) {
    bytes_ -= entries_.front().bytes;
    entries_.pop_front();
  }
}

void Inflights::FreeFirstOne() {
  if (entries_.empty()) return;
  bytes_ -= entries_.front().bytes;
  entries_.pop_front();
}

void Inflights::Reset() {
  entries_.clear();
  bytes_ = 0;
}

}  // namespace kv::raft
