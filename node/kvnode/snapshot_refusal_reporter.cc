#include "node/kvnode/snapshot_refusal_reporter.h"

#include "absl/strings/str_cat.h"
#include "node/backend/backend_log.h"

namespace kv::kvnode {

std::optional<std::string> SnapshotRefusalReporter::Observe(env::TimeNs now_ns, uint64_t shard,
                                                            uint64_t refused_total,
                                                            const absl::Status& last_reason) {
  Shard& s = shards_[shard];
  // A count below what was reported means the replica was rebuilt (its
  // counters restart): report from its new count on.
  if (refused_total < s.reported) s.reported = 0;
  if (refused_total == s.reported) return std::nullopt;
  if (s.has_line && now_ns - s.last_line_ns < min_interval_ns_) return std::nullopt;
  const uint64_t since = refused_total - s.reported;
  s.reported = refused_total;
  s.last_line_ns = now_ns;
  s.has_line = true;
  // Quoted and escaped as the log's msg is: a reason is free text.
  return absl::StrCat("shard=", shard, " refused=", since, " refused_total=", refused_total,
                      " reason=", backend::QuoteLogValue(last_reason.ToString()));
}

}  // namespace kv::kvnode
