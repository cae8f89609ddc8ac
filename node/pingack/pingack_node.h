#pragma once
// PingAckNode: a small request/acknowledge protocol run by simulated nodes
// until the Raft and KV layers take over. Layer: node (env seam only).
//
// Each node issues requests to random peers, retries each with exponential
// backoff until it is acknowledged, and answers every request it receives
// with an acknowledgement, processing each request id at most once per
// process lifetime (a dedup table). It exists to exercise the simulator's
// faults end to end with a protocol whose properties can be checked:
// - exactly-once processing within a receiver's lifetime;
// - no acknowledgement for a request that was never issued;
// - liveness: once the network heals, every outstanding request is
//   acknowledged within a bounded time.
// An injectable bug (skip the dedup table) shows that the checks have teeth.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "node/env/env.h"
#include "node/pingack/pingack_codec.h"

namespace kv::pingack {

struct PingAckConfig {
  // Mean time between new requests (exponentially distributed).
  env::DurationNs request_interval_ns = 20 * env::kMillisecond;
  // First retry after this long; doubles on each retry up to the maximum.
  env::DurationNs retry_initial_ns = 10 * env::kMillisecond;
  env::DurationNs retry_max_ns = 160 * env::kMillisecond;
  // At most this many unacknowledged requests; more are not issued.
  uint32_t outstanding_max = 32;
  // Payload size is uniform in [1, payload_bytes_max].
  uint32_t payload_bytes_max = 128;
  // Teeth: process a request again when it is retried or duplicated.
  bool bug_skip_dedup = false;
};

// Receives protocol events for checking. Observation only: it must not
// change the run. Called on the node's logic thread.
class PingAckObserver {
 public:
  virtual ~PingAckObserver() = default;
  virtual void OnIssued(env::NodeId sender, uint64_t request_id) = 0;
  virtual void OnProcessed(env::NodeId receiver, env::NodeId sender, uint64_t request_id) = 0;
  virtual void OnAcked(env::NodeId sender, uint64_t request_id) = 0;
};

struct PingAckStats {
  uint64_t issued = 0;
  uint64_t acked = 0;
  uint64_t retries = 0;
  uint64_t processed = 0;
  uint64_t duplicates_suppressed = 0;
  uint64_t stale_acks = 0;  // Acks for requests already acknowledged.
  uint64_t decode_errors = 0;
  uint64_t send_errors = 0;
  uint64_t budget_refusals = 0;
};

class PingAckNode {
 public:
  // `peers` lists the other nodes, `observer` may be null. `env` and
  // `observer` must outlive the node. Call Start() to begin.
  PingAckNode(env::Env& env, std::vector<env::NodeId> peers, const PingAckConfig& config,
              PingAckObserver* observer);
  ~PingAckNode();
  PingAckNode(const PingAckNode&) = delete;
  PingAckNode& operator=(const PingAckNode&) = delete;

  // Installs the network receiver and starts issuing requests.
  void Start();
  // Stops issuing new requests; retries of outstanding ones go on.
  void StopIssuing();

  size_t outstanding_count() const { return outstanding_.size(); }
  const PingAckStats& stats() const { return stats_; }

 private:
  struct Outstanding {
    env::NodeId to = 0;
    std::string frame;  // Encoded request, resent as is.
    env::DurationNs backoff_ns = 0;
    env::TimerId retry_timer;
    env::Reservation memory;
  };

  void ScheduleNextRequest();
  void IssueRequest();
  void SendFrame(env::NodeId to, std::string bytes);
  void OnRetry(uint64_t request_id);
  void OnMessage(env::NodeId from, absl::string_view bytes);
  void OnRequest(env::NodeId from, const Frame& frame);
  void OnAck(const Frame& frame);

  env::Env& env_;
  std::vector<env::NodeId> peers_;
  PingAckConfig config_;
  PingAckObserver* observer_;
  // High 32 bits of every request id: drawn per process lifetime, so ids of
  // a restarted node do not collide with those of its previous life.
  uint64_t id_prefix_;
  uint32_t next_sequence_ = 1;
  bool issuing_ = false;
  env::TimerId issue_timer_;
  std::map<uint64_t, Outstanding> outstanding_;
  // Request ids processed, per sender (the dedup table).
  std::map<env::NodeId, std::set<uint64_t>> processed_;
  PingAckStats stats_;
};

}  // namespace kv::pingack
