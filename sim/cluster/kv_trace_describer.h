#pragma once
// KvTraceDescriber: turns the KV store's network messages into trace text
// (the Tracer's Describer for kv runs). Layer: sim (harness).
//
// A peer batch gives one part per shard's Raft message ("MSG_APP term=3
// index=17 log_term=3 entries=2 commit=16"); a client request or reply one
// part, tagged with the request's shard. Replies carry no shard, so the
// describer remembers each request it saw (by client and request id) and
// tags the reply with that request's shard, op and key.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "sim/trace/trace_event.h"

namespace kv::sim {

class KvTraceDescriber {
 public:
  std::vector<trace::MessagePart> Describe(int from, int to, absl::string_view bytes);

 private:
  struct Request {
    uint64_t shard = 0;
    std::string what;  // "PUT k1-2"
  };
  // By (client node, request id). Requests are few (thousands per run) and
  // replies may come late, so nothing is forgotten. Ordered, so nothing here
  // can depend on hash order.
  std::map<std::pair<int, uint64_t>, Request> requests_;
};

}  // namespace kv::sim
