#pragma once
// TraceFilter: which events a text trace shows (kvsim replay --node,
// --shard, --from, --to), and the parsers for those flags. Layer: sim (trace).
//
// - node: an event passes if it is about that node or has it at the other
//   end (a message's sender or receiver); cluster-wide faults always pass.
// - shard: an event passes if it names that shard (Raft messages, role
//   changes, commits, client operations and their requests and replies);
//   fault actions pass too, as the context every shard lives in. Events of
//   no shard (timers, messages of other shards) do not.
// - time: from <= t <= to, both inclusive, in simulated (true) time.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "node/env/types.h"
#include "sim/trace/trace_event.h"

namespace kv::sim::trace {

struct TraceFilter {
  std::optional<int> node;
  std::optional<uint64_t> shard;
  env::TimeNs from_ns = 0;
  env::TimeNs to_ns = INT64_MAX;

  bool MatchesTime(env::TimeNs time_ns) const { return time_ns >= from_ns && time_ns <= to_ns; }
  bool MatchesNode(const TraceEvent& event) const;
  // For an event without message parts. Parts are matched one by one with
  // MatchesShardOf.
  bool MatchesShard(const TraceEvent& event) const;
  bool MatchesShardOf(uint64_t shard_id) const { return !shard.has_value() || *shard == shard_id; }
};

// Parses a simulated time: "3s", "1.5s", "250ms", "40us", "100ns", or a bare
// integer (nanoseconds). Errors: kInvalidArgument naming the text.
[[nodiscard]] absl::StatusOr<env::TimeNs> ParseTraceTime(const std::string& text);

// Parses a node for --node: "3" or "n3" is server 3, "c1" client 1.
// Errors: kInvalidArgument when malformed or out of range for `layout`.
[[nodiscard]] absl::StatusOr<int> ParseTraceNode(const std::string& text, int servers, int clients);

// Formats a time as seconds with microseconds: "12.345678s".
std::string FormatTraceTime(env::TimeNs time_ns);

}  // namespace kv::sim::trace
