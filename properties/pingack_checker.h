#pragma once
// PingAckChecker: the safety properties of the ping/ack protocol, checked as
// events happen. Layer: properties (reads, changes nothing).
//
// - Exactly once per lifetime: a receiver processes a request id at most once
//   between two of its crashes (its dedup table is volatile by design).
// - No phantom acknowledgements: a sender is only ever told of the
//   acknowledgement of a request it issued.
// Liveness (everything acknowledged after healing) is checked by the runner.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "node/pingack/pingack_node.h"

namespace kv::properties {

class PingAckChecker final : public pingack::PingAckObserver {
 public:
  explicit PingAckChecker(int node_count) : incarnation_(node_count, 0) {}

  void OnIssued(env::NodeId sender, uint64_t request_id) override;
  void OnProcessed(env::NodeId receiver, env::NodeId sender, uint64_t request_id) override;
  void OnAcked(env::NodeId sender, uint64_t request_id) override;

  // The receiver's volatile state is gone: a new lifetime starts.
  void NoteCrash(env::NodeId node) { ++incarnation_[node]; }

  bool ok() const { return violations_.empty(); }
  // Each violation in words, in the order found.
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  std::vector<uint64_t> incarnation_;
  std::set<std::pair<env::NodeId, uint64_t>> issued_;
  // (receiver, receiver incarnation, sender, request id).
  std::set<std::tuple<env::NodeId, uint64_t, env::NodeId, uint64_t>> processed_;
  std::vector<std::string> violations_;
};

}  // namespace kv::properties
