#pragma once
// Deliberately injectable bugs in the KV layer, for proving that the
// simulator's checks catch real mistakes (issue 6, "teeth"). Off by default;
// switched on only by a test or `kvsim --bug NAME`. Layer: node.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::node {

enum KvBugs : uint32_t {
  kNoKvBugs = 0,
  // The state machine ignores the session table: a retried write is applied
  // again (a late retry can overwrite a newer value).
  kApplyRetryTwice = 1u << 0,
  // A leader answers GET from its local state at once, without ReadIndex: a
  // deposed leader that does not know it yet serves stale values.
  kReadWithoutReadIndex = 1u << 1,
  // A replica treats its log writes as durable as soon as they are issued,
  // before the sync: it acknowledges entries that a power loss then erases.
  kAckBeforeSync = 1u << 2,
  // Storage journals a shard's applied index in a record of its own, ahead
  // of the batch's data: a power loss between the two leaves a replica that
  // skips entries it never stored. Only the simulated state-machine storage
  // implements it (SimStateMachineOptions::bug_index_before_data).
  kAppliedIndexApart = 1u << 3,
};

// "apply-retry-twice", "read-without-read-index", "ack-before-sync",
// "applied-index-apart".
const char* KvBugName(KvBugs bug);
// Errors: kInvalidArgument for an unknown name (the message lists the known ones).
[[nodiscard]] absl::StatusOr<KvBugs> ParseKvBug(absl::string_view name);

}  // namespace kv::node
