#pragma once
// KvTraceObserver: reports Raft role changes and commits of every replica
// to the tracer, by comparing each replica's role, term, leader and commit
// index with what it saw after the previous event. Layer: sim (harness).
//
// It reads the replicas through their public accessors only, so raft/ and
// node/ know nothing of tracing, and it runs only in traced runs (from the
// scheduler's after-event hook).

#include <cstdint>
#include <map>
#include <vector>

#include "raft/ready.h"
#include "sim/cluster/kv_cluster.h"
#include "sim/trace/tracer.h"

namespace kv::sim {

class KvTraceObserver {
 public:
  // `cluster` and `tracer` must outlive the observer.
  KvTraceObserver(KvCluster& cluster, trace::Tracer& tracer);

  // Compares every live replica with the last observation and reports what
  // changed. A crashed server's replicas are forgotten, so after a restart
  // their state is reported afresh.
  void Observe();

 private:
  struct Seen {
    raft::Role role = raft::Role::kFollower;
    uint64_t term = 0;
    uint64_t leader = 0;  // Raft id (node id + 1); 0: unknown.
    uint64_t commit = 0;
  };

  KvCluster& cluster_;
  trace::Tracer& tracer_;
  std::vector<std::map<uint64_t, Seen>> seen_;  // Per server, by shard.
};

}  // namespace kv::sim
