#pragma once
// The peers a node has Raft messages waiting for, until the end of the
// event sends them (KvNode::Flush). Layer: node.
//
// Flush used to walk every peer's batch after any send, though most events
// send to one peer or two of several: the walk was a fifth of the cost of
// flushing. A bit per peer lets it visit only those. Clusters larger than a
// word share the last bit among their higher peers, which are then walked.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace kv::node {

class PendingPeers {
 public:
  // Bit `peer` for peers below it; this one bit for every peer from it on.
  static constexpr size_t kOverflowBit = 63;

  // Marks `peer` (0-based) as having messages waiting.
  void Add(size_t peer) { bits_ |= uint64_t{1} << std::min(peer, kOverflowBit); }
  bool empty() const { return bits_ == 0; }

  // Calls `take(peer)` for every peer marked, in ascending order, each
  // once, unmarking it first; for peers from kOverflowBit on, for every
  // such peer below `peer_count` if any of them is marked (`take` is to do
  // nothing for one without messages). A peer `take` marks meanwhile is
  // taken in this pass if it is ahead, left marked for the next if not, as
  // a walk over every peer would do.
  template <typename Take>
  void TakeEach(size_t peer_count, Take take) {
    for (size_t peer = 0; peer < kOverflowBit; ++peer) {
      const uint64_t ahead = bits_ & (~uint64_t{0} << peer);
      if (ahead == 0) return;
      peer = static_cast<size_t>(std::countr_zero(ahead));
      if (peer == kOverflowBit) break;
      bits_ &= ~(uint64_t{1} << peer);
      take(peer);
    }
    if ((bits_ >> kOverflowBit) == 0) return;
    bits_ &= ~(uint64_t{1} << kOverflowBit);
    for (size_t peer = kOverflowBit; peer < peer_count; ++peer) take(peer);
  }

 private:
  uint64_t bits_ = 0;
};

}  // namespace kv::node
