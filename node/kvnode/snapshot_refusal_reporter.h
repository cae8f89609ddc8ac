#pragma once
// SnapshotRefusalReporter: decides when a kvnode logs that a shard's leader
// could not make a snapshot for a follower. Layer: node/kvnode.
//
// A leader that cannot make one (the memory budget is full, the state is
// ahead of its Raft core after a restart) does not stop: it tries again at
// later heartbeat responses, and the follower waits. Counters show it
// (kv_snapshots_refused_total); this adds a log line an operator sees
// without a dashboard, at most one per shard per interval, naming how many
// attempts failed since the last line and the last reason. Pure logic, fed
// by the node's watchdog, so that it can be tested without a cluster.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "node/env/types.h"

namespace kv::kvnode {

class SnapshotRefusalReporter {
 public:
  explicit SnapshotRefusalReporter(env::DurationNs min_interval_ns) : min_interval_ns_(min_interval_ns) {}

  // `refused_total` is the shard's running count of refusals, `last_reason`
  // the latest one's status. Returns the key=value fields of a warn line
  // when there are refusals not yet reported and the shard's last line is
  // at least the interval old (or there was none); otherwise nothing.
  std::optional<std::string> Observe(env::TimeNs now_ns, uint64_t shard, uint64_t refused_total,
                                     const absl::Status& last_reason);

 private:
  struct Shard {
    uint64_t reported = 0;  // Refusals counted in lines so far.
    env::TimeNs last_line_ns = 0;
    bool has_line = false;
  };

  env::DurationNs min_interval_ns_;
  std::map<uint64_t, Shard> shards_;
};

}  // namespace kv::kvnode
