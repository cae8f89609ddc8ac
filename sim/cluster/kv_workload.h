#pragma once
// KvWorkload: one simulated client's closed-loop workload, recorded into a
// KvHistory. Layer: sim (harness).
//
// Every key has one writer (the client that owns it, keys "k<client>-<j>"),
// and every written value is unique ("<client>.<n>"), which makes stale reads
// and lost writes directly checkable (properties/kv_history.h). Reads go to
// any client's keys. Operations: PUT, DELETE, CAS (against the value the
// owner knows it wrote last) and GET, one at a time with a think time.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "node/env/env.h"
#include "node/kv/kv_client.h"
#include "properties/kv_history.h"
#include "properties/linearizability/history.h"
#include "sim/cluster/kv_key_names.h"
#include "sim/trace/tracer.h"

namespace kv::sim {

struct KvWorkloadOptions {
  int keys_per_client = 4;
  env::DurationNs think_mean_ns = 5 * env::kMillisecond;
  uint32_t value_bytes_max = 64;
  // Operations each client issues at most; 0 means no limit (until Stop).
  uint64_t ops_per_client = 0;
  // Operation mix in percent; the rest are PUTs. A CAS needs a known value
  // and falls back to a PUT otherwise. Invariant: the sum is at most 100.
  uint32_t get_percent = 40;
  uint32_t delete_percent = 15;
  uint32_t cas_percent = 15;
};

struct KvWorkloadStats {
  uint64_t ops = 0;
  uint64_t acknowledged = 0;
  uint64_t indeterminate = 0;
  uint64_t refused = 0;
};

class KvWorkload {
 public:
  // Client `client_index` of `key_names.client_count()`, whose keys are
  // named in `key_names` (with options.keys_per_client keys per client).
  // Records into `history`: its records for the direct checks and its
  // operations, the linearizability checker's input. All three must
  // outlive the workload.
  KvWorkload(node::KvClient& client, env::Env& env, int client_index, const KvKeyNames& key_names,
             const KvWorkloadOptions& options, properties::KvHistory& history);
  ~KvWorkload();

  // Reports each operation and its outcome to `tracer` (a traced run) as
  // client node `node`; `cluster` gives keys' shards. Both must outlive
  // the workload.
  void SetTracer(trace::Tracer* tracer, const node::Cluster* cluster, int node) {
    tracer_ = tracer;
    cluster_ = cluster;
    node_ = node;
  }

  void Start();
  void Stop() { running_ = false; }
  bool idle() const { return !in_flight_; }
  // After Stop, when the run ends with this client still waiting for an
  // answer (the event budget stopped it, or the liveness window closed):
  // records the operation in flight as unanswered. A write becomes
  // indeterminate, as if its deadline had passed, since it may have taken
  // effect (a read may have seen its value); a read is counted
  // indeterminate and observed nothing. Without this, a read that saw an
  // unanswered write's value failed the checks as a read of a value no
  // operation wrote. No-op when idle.
  void AbandonInFlight();
  const KvWorkloadStats& stats() const { return stats_; }

 private:
  void ScheduleNext();
  void IssueOne();
  // Makes `value` "<client>.<value_number>." and `padding_bytes` 'v's,
  // and returns the string.
  const std::string& BuildValue(uint64_t value_number, uint64_t padding_bytes,
                                std::optional<std::string>& value) const;
  // The answers to the operation in flight, described by call_.
  // Takes the reply's value: the history keeps it, the reply is dropped after.
  void OnGetDone(absl::StatusOr<node::pb::Result>& result);
  void OnWriteDone(const absl::StatusOr<node::pb::Result>& result);
  // Tracing (only when a tracer is set).
  void TraceCall(const std::string& what, const std::string& key, const std::string& detail);
  void TraceReply(const std::string& key, env::TimeNs call_ns, const absl::StatusOr<node::pb::Result>& result);

  node::KvClient& client_;
  env::Env& env_;
  int client_index_;
  const KvKeyNames& key_names_;
  KvWorkloadOptions options_;
  properties::KvHistory& history_;
  bool running_ = false;
  bool in_flight_ = false;
  // The operation in flight (one at a time), for its callback to record.
  // Kept here rather than captured, so that the callback holds only `this`
  // and fits AnyInvocable's inline storage: capturing all this cost an
  // allocation and several moves of it per operation.
  // The checker's record of it is built when the answer comes, in place in
  // the operations list: a record built at the call and moved there cost a
  // temporary and two moves of its strings per operation.
  struct Call {
    const std::string* key = nullptr;  // In key_names_.
    uint64_t key_index = 0;  // A write's: the index of its key among the owner's.
    size_t key_slot = 0;  // The key's index in key_handles_.
    env::TimeNs call_ns = 0;
    // A write: the value it writes (nullopt: DELETE), and whether it is a CAS.
    std::optional<std::string> value;
    // A CAS: the value it expects (nullopt: absent), moved into its
    // operation when the answer comes.
    std::optional<std::string> expected;
    bool is_cas = false;
    bool is_get = false;
  };
  Call call_;
  uint64_t next_value_ = 1;
  env::TimerId timer_;
  // What the owner knows each of its keys holds, by key index:
  // kKnownAbsent, kKnownUnknown (after an indeterminate write), or the
  // index in history_.operations() of the acknowledged write whose value
  // it holds. An index rather than a copy of the value: the copy, made at
  // every acknowledged write for the rare CAS to read, showed.
  static constexpr size_t kKnownAbsent = SIZE_MAX;
  static constexpr size_t kKnownUnknown = SIZE_MAX - 1;
  std::vector<size_t> known_;
  // Each key's handle in history_, by owner * keys_per_client + key index
  // (every client's keys, as reads go to any); nullopt before the
  // workload's first operation of the key.
  std::vector<std::optional<properties::KvHistory::KeyHandle>> key_handles_;
  // The handle of key_handles_[slot], the key `key`, got from history_ the
  // first time. Inline: every operation asks.
  properties::KvHistory::KeyHandle KeyHandleOf(size_t slot, const std::string& key) {
    std::optional<properties::KvHistory::KeyHandle>& handle = key_handles_[slot];
    if (!handle.has_value()) [[unlikely]] handle = history_.HandleOf(key);
    return *handle;
  }
  KvWorkloadStats stats_;
  trace::Tracer* tracer_ = nullptr;
  const node::Cluster* cluster_ = nullptr;
  int node_ = -1;
  std::string traced_call_;  // "PUT k1-2" of the operation in flight.
};

}  // namespace kv::sim
