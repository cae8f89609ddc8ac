#include "node/kv/kv_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "raft/kept_buffer.h"

namespace kv::node {
namespace {
// NOT_LEADER hints followed without a pause, in a row (OnResponse).
constexpr int kMaxImmediateRedirects = 2;
}  // namespace

KvClient::KvClient(env::Env& env, const Cluster& cluster, uint64_t client_id,
                   const KvClientOptions& options)
    : env_(env), cluster_(cluster), client_id_(client_id), options_(options) {}

KvClient::~KvClient() {
  for (auto& [id, call] : calls_) env_.clock.Cancel(call.timer);  // In ascending id order.
  env_.network.SetReceiver(nullptr);
}

void KvClient::Start() {
  env_.network.SetReceiver([this](env::NodeId from, absl::string_view bytes) { OnMessage(from, bytes); });
}

void KvClient::Get(const std::string& key, Callback done) {
  CommandFields c;
  c.op = pb::OP_GET;
  c.key = key;
  Issue(c, std::move(done));
}

void KvClient::Put(const std::string& key, const std::string& value, Callback done) {
  CommandFields c;
  c.op = pb::OP_PUT;
  c.key = key;
  c.value = value;
  Issue(c, std::move(done));
}

void KvClient::Delete(const std::string& key, Callback done) {
  CommandFields c;
  c.op = pb::OP_DELETE;
  c.key = key;
  Issue(c, std::move(done));
}

void KvClient::Cas(const std::string& key, const std::optional<std::string>& expected,
                   const std::string& value, Callback done) {
  CommandFields c;
  c.op = pb::OP_CAS;
  c.key = key;
  c.value = value;
  if (expected.has_value()) {
    c.expected = *expected;
  } else {
    c.expect_absent = true;
  }
  Issue(c, std::move(done));
}

void KvClient::Issue(CommandFields& command, Callback done) {
  ++stats_.calls;
  const bool is_write = command.op != pb::OP_GET;
  if (is_write) {
    if (write_in_flight_) {
      return done(absl::FailedPreconditionError("a write of this client is already in flight"));
    }
    write_in_flight_ = true;
    command.client_id = client_id_;
    command.sequence = next_sequence_++;
  }
  const uint64_t id = next_request_id_++;
  // Built in place: a call built apart and moved in cost a move of its
  // callback and bytes, and the destruction of what was left, per call.
  calls_.emplace_back();  // Ids only grow: the order holds.
  calls_.back().first = id;
  Call& call = calls_.back().second;
  call.shard = cluster_.ShardOf(command.key);
  call.is_write = is_write;
  // Into the buffer of a finished call (see spare_request_bytes_).
  call.request_bytes = std::move(spare_request_bytes_);
  EncodeClientRequestInto(id, command, call.shard, call.request_bytes);
  call.done = std::move(done);
  call.deadline_ns = env_.clock.NowNs() + options_.deadline_ns;
  call.backoff_ns = options_.backoff_initial_ns;
  const absl::Span<const uint32_t> replicas = cluster_.Replicas(call.shard);
  KV_CHECK(!replicas.empty());
  call.replica_cursor = static_cast<int>(env_.random.Uniform(replicas.size()));
  auto leader = leaders_.find(call.shard);
  // Buggify: forget the cached leader now and then, so redirects and
  // requests to followers stay exercised.
  if (leader != leaders_.end() && KV_BUGGIFY_SITE(env_, forget_leader_, 8)) {
    leaders_.erase(leader);
    leader = leaders_.end();
  }
  call.target = leader != leaders_.end() ? leader->second : replicas[call.replica_cursor];
  SendAttempt(id, call);
}

KvClient::Call& KvClient::CallOf(uint64_t id) {
  auto it = FindCall(id);
  KV_CHECK(it != calls_.end());
  return it->second;
}

std::vector<std::pair<uint64_t, KvClient::Call>>::iterator KvClient::FindCall(uint64_t id) {
  return std::find_if(calls_.begin(), calls_.end(), [id](const auto& entry) { return entry.first == id; });
}

void KvClient::SendAttempt(uint64_t id) { SendAttempt(id, CallOf(id)); }

void KvClient::SendAttempt(uint64_t id, Call& call) {
  ++stats_.attempts;
  env_.network.Send(call.target, call.request_bytes).IgnoreError();  // Timeout covers loss.
  // Buggify: give up on an attempt far too early, so retries race their
  // originals and the session table must deduplicate them.
  const env::DurationNs timeout_ns = KV_BUGGIFY_SITE(env_, early_retry_, 10)
                                         ? options_.attempt_timeout_ns / 20
                                         : options_.attempt_timeout_ns;
  call.timer = env_.clock.After(timeout_ns, [this, id] { OnAttemptTimeout(id); });
}

void KvClient::OnAttemptTimeout(uint64_t id) {
  ++stats_.timeouts;
  RetryLater(id, /*next_replica=*/true);
}

void KvClient::RetryLater(uint64_t id, bool next_replica) {
  Call& call = CallOf(id);
  env_.clock.Cancel(call.timer);
  const env::TimeNs now = env_.clock.NowNs();
  if (now >= call.deadline_ns) {
    ++stats_.deadline_exceeded;
    return Finish(id, absl::DeadlineExceededError(absl::StrCat(
                          "no answer within the deadline for request ", id, "; a write may or may not have been applied")));
  }
  if (next_replica) {
    leaders_.erase(call.shard);
    const absl::Span<const uint32_t> replicas = cluster_.Replicas(call.shard);
    call.replica_cursor = (call.replica_cursor + 1) % static_cast<int>(replicas.size());
    call.target = replicas[call.replica_cursor];
  }
  call.immediate_redirects = 0;  // The backoff is the pause between bursts.
  // Full jitter: uniform in [backoff/2, backoff], then double.
  const env::DurationNs delay_ns = env_.random.UniformRange(call.backoff_ns / 2, call.backoff_ns);
  call.backoff_ns = std::min(call.backoff_ns * 2, options_.backoff_max_ns);
  call.timer = env_.clock.After(std::min(delay_ns, call.deadline_ns - now), [this, id] { SendAttempt(id); });
}

void KvClient::Finish(uint64_t id, absl::StatusOr<pb::Result>&& result) {
  auto it = FindCall(id);
  KV_CHECK(it != calls_.end());
  Finish(it, std::move(result));
}

void KvClient::Finish(std::vector<std::pair<uint64_t, Call>>::iterator it, absl::StatusOr<pb::Result>&& result) {
  env_.clock.Cancel(it->second.timer);
  Callback done = std::move(it->second.done);
  if (it->second.is_write) write_in_flight_ = false;
  spare_request_bytes_ = std::move(it->second.request_bytes);
  raft::ReleaseIfHuge(spare_request_bytes_);  // Unless a huge value grew it (kept_buffer.h).
  calls_.erase(it);
  done(std::move(result));
}

void KvClient::OnMessage(env::NodeId from, absl::string_view bytes) {
  // Responses without an error text, nearly all, skip protobuf's wrapper
  // objects. A nested call (none is expected) finds the reader busy.
  if (!reader_in_use_) {
    reader_in_use_ = true;
    struct Release {
      KvClient& client;
      ~Release() { client.reader_in_use_ = false; }
    } release{*this};
    // A callback may have left answer_ moved from.
    if (!answer_.ok()) answer_.emplace();
    if (response_reader_.ReadInto(bytes, *answer_)) {
      return OnResponse(from, response_reader_.request_id(), answer_, response_reader_.leader_hint(),
                        /*error=*/"");
    }
  }
  pb::NodeMessage message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !message.has_response()) {
    return;  // Not for a client; dropped.
  }
  const pb::ClientResponse& response = message.response();
  absl::StatusOr<pb::Result> answer(std::move(*message.mutable_response()->mutable_result()));
  OnResponse(from, response.request_id(), answer, response.leader_hint(), response.error());
}

void KvClient::OnResponse(env::NodeId from, uint64_t request_id, absl::StatusOr<pb::Result>& answer,
                          uint64_t leader_hint, const std::string& error) {
  KV_DCHECK(answer.ok());
  const pb::Result& result = *answer;
  auto it = FindCall(request_id);
  if (it == calls_.end() || it->second.target != from) return;  // Late answer to an old attempt.
  Call& call = it->second;
  switch (result.code()) {
    case pb::CODE_NOT_LEADER:
      ++stats_.redirects;
      env_.clock.Cancel(call.timer);
      if (leader_hint != 0 && leader_hint - 1 != call.target &&
          leader_hint <= static_cast<uint64_t>(cluster_.node_count())) {
        call.target = static_cast<env::NodeId>(leader_hint - 1);
        leaders_[call.shard] = call.target;
        // Straight to the named leader: a hint is usually right, and
        // waiting out a backoff first cost a median 25 ms a redirect on a
        // faulty seed (a fifth of its clients' time). Two in a row at most
        // between backoffs, so that nodes naming each other during an
        // election cannot bounce a call to and fro without a pause.
        if (call.immediate_redirects < kMaxImmediateRedirects) {
          ++call.immediate_redirects;
          return SendAttempt(request_id, call);
        }
        return RetryLater(request_id, /*next_replica=*/false);
      }
      return RetryLater(request_id, /*next_replica=*/true);
    case pb::CODE_RETRY_LATER:
    case pb::CODE_UNAVAILABLE:
      ++stats_.retry_later;
      return RetryLater(request_id, result.code() == pb::CODE_UNAVAILABLE);
    case pb::CODE_INVALID_ARGUMENT:
      return Finish(request_id, absl::InvalidArgumentError(error.empty() ? "refused by the store" : error));
    default:
      leaders_[call.shard] = from;
      return Finish(it, std::move(answer));
  }
}

}  // namespace kv::node
