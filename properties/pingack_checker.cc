#include "properties/pingack_checker.h"

#include "absl/strings/str_cat.h"

namespace kv::properties {

void PingAckChecker::OnIssued(env::NodeId sender, uint64_t request_id) {
  issued_.insert({sender, request_id});
}

void PingAckChecker::OnProcessed(env::NodeId receiver, env::NodeId sender, uint64_t request_id) {
  if (!processed_.insert({receiver, incarnation_[receiver], sender, request_id}).second) {
    violations_.push_back(absl::StrCat("exactly-once: node ", receiver, " processed request ",
                                       absl::Hex(request_id), " from node ", sender,
                                       " twice in one lifetime"));
  }
}

void PingAckChecker::OnAcked(env::NodeId sender, uint64_t request_id) {
  if (issued_.count({sender, request_id}) == 0) {
    violations_.push_back(absl::StrCat("no-phantom-ack: node ", sender,
                                       " was acknowledged request ", absl::Hex(request_id),
                                       " it never issued"));
  }
}

}  // namespace kv::properties
