#pragma once
// KvClient: the client library, on the env seam, so simulated clients run
// the same code as real ones. Layer: node.
//
// Each call gets a deadline. The client computes the key's shard, sends to
// the cached leader of that shard (or a replica), follows NOT_LEADER hints
// at once (up to two in a row between backoffs), and retries timeouts,
// RETRY_LATER and unhinted NOT_LEADER with exponential backoff and jitter,
// moving to the next replica when one does not answer. Writes carry the
// client's id and a sequence number, so the store applies a retried write at
// most once; a client has at most one write in flight (a second is refused).
// When the deadline passes, the callback gets kDeadlineExceeded: the write
// may or may not have been applied.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "node/env/buggify.h"
#include "node/env/env.h"
#include "node/kv/client_message_codec.h"
#include "node/kv/cluster_config.h"
#include "node/kv/kv.pb.h"

namespace kv::node {

struct KvClientOptions {
  env::DurationNs deadline_ns = 5 * env::kSecond;     // Per call.
  env::DurationNs attempt_timeout_ns = 100 * env::kMillisecond;
  env::DurationNs backoff_initial_ns = 5 * env::kMillisecond;
  env::DurationNs backoff_max_ns = 200 * env::kMillisecond;
};

struct KvClientStats {
  uint64_t calls = 0;
  uint64_t attempts = 0;
  uint64_t redirects = 0;
  uint64_t timeouts = 0;
  uint64_t retry_later = 0;
  uint64_t deadline_exceeded = 0;
};

class KvClient {
 public:
  // The result of a call: OK with the operation's result (which may say
  // NOT_FOUND or CAS_MISMATCH), or kDeadlineExceeded, kInvalidArgument
  // (refused by the store), kFailedPrecondition (a write already in flight).
  // The result is handed over by rvalue reference, so that the call moves
  // it nowhere on its way (a callable that takes it by value still fits):
  // taken by value, it was moved once into the call and once more into
  // the callable's parameter, per operation.
  using Callback = absl::AnyInvocable<void(absl::StatusOr<pb::Result>&& result)>;

  // `env` and `cluster` must outlive the client. `client_id` must be unique
  // across clients and client restarts (draw it from the env's random).
  KvClient(env::Env& env, const Cluster& cluster, uint64_t client_id, const KvClientOptions& options);
  ~KvClient();

  // Installs the network receiver. Call once before any operation.
  void Start();

  void Get(const std::string& key, Callback done);
  void Put(const std::string& key, const std::string& value, Callback done);
  void Delete(const std::string& key, Callback done);
  // Writes `value` if the key holds `expected` (or is absent, when
  // `expected` is nullopt).
  void Cas(const std::string& key, const std::optional<std::string>& expected,
           const std::string& value, Callback done);

  uint64_t client_id() const { return client_id_; }
  const KvClientStats& stats() const { return stats_; }
  // The capacity of the request buffer kept for the next call, for tests of
  // the bound on kept buffers (raft/kept_buffer.h).
  size_t KeptRequestBufferBytes() const { return spare_request_bytes_.capacity(); }

 private:
  struct Call {
    uint64_t shard = 0;
    bool is_write = false;
    // The request in its NodeMessage envelope, serialized once for every attempt.
    std::string request_bytes;
    Callback done;
    env::TimeNs deadline_ns = 0;
    env::DurationNs backoff_ns = 0;
    env::NodeId target = 0;
    int replica_cursor = 0;
    // Redirects followed at once since the last backoff (OnResponse).
    int immediate_redirects = 0;
    env::TimerId timer;
  };

  // The call with request id `id`: it must be in flight.
  Call& CallOf(uint64_t id);
  // calls_.end() if none is.
  std::vector<std::pair<uint64_t, Call>>::iterator FindCall(uint64_t id);
  // Sends `command` (a write gets the session fields set in place). Built
  // from fields, not a pb::Command: its strings would be copies.
  void Issue(CommandFields& command, Callback done);
  void SendAttempt(uint64_t request_id);
  // As above, for the call of `request_id` found already (Issue has it at
  // hand: a second search of calls_ per call showed).
  void SendAttempt(uint64_t request_id, Call& call);
  void OnAttemptTimeout(uint64_t request_id);
  void RetryLater(uint64_t request_id, bool next_replica);
  // Taken by reference: the callback gets it moved, without a move in between.
  void Finish(uint64_t request_id, absl::StatusOr<pb::Result>&& result);
  // As above, for the call at `it` in calls_ (OnResponse found it already).
  void Finish(std::vector<std::pair<uint64_t, Call>>::iterator it, absl::StatusOr<pb::Result>&& result);
  void OnMessage(env::NodeId from, absl::string_view bytes);
  // `answer` holds the response's result (it is OK); an answer that ends
  // the call is handed to its callback, which may move from it.
  void OnResponse(env::NodeId from, uint64_t request_id, absl::StatusOr<pb::Result>& answer,
                  uint64_t leader_hint, const std::string& error);

  env::Env& env_;
  const Cluster& cluster_;
  uint64_t client_id_;
  KvClientOptions options_;
  uint64_t next_sequence_ = 1;
  uint64_t next_request_id_ = 1;
  bool write_in_flight_ = false;
  // The calls in flight, by ascending request id. A client has a few at
  // most (one write, and the reads its user waits for), so a vector costs
  // less than a tree node per call.
  std::vector<std::pair<uint64_t, Call>> calls_;
  // The request buffer of the call that finished last, which the next call
  // encodes its request into: a buffer allocated and freed per call showed.
  // Moved, not swapped: a swap copies a short string's inline bytes. What a
  // move leaves behind is only a performance matter, as the encoder writes
  // over whatever the buffer holds.
  std::string spare_request_bytes_;
  std::map<uint64_t, env::NodeId> leaders_;    // Shard -> believed leader.
  // Decodes responses; not reentrant.
  ClientResponseReader response_reader_;
  bool reader_in_use_ = false;
  // What response_reader_ decodes each response's result into, and what
  // an answer that ends a call hands to its callback: a result copied out
  // of the reader's own cost a copy, and for most reads a value allocated
  // anew. Reused, with its value's capacity unless a callback took it.
  absl::StatusOr<pb::Result> answer_;
  // The fault points of Issue and SendAttempt, evaluated on every call and
  // attempt: held, not looked up by name each time.
  env::BuggifySite forget_leader_{"kv.client.forget_leader"};
  env::BuggifySite early_retry_{"kv.client.early_retry"};
  KvClientStats stats_;
};

}  // namespace kv::node
