#include "sim/cluster/kv_workload.h"

#include <charconv>
#include <cstring>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"

namespace kv::sim {

using node::pb::Code;
using properties::KvOutcome;

namespace {

// Characters of the longest decimal number a value starts with (a
// uint64_t's 20 digits; an int's 10 and a sign).
constexpr size_t kMaxDecimalDigits = 20;

// Writes `value` in decimal at `out`, which has room for kMaxDecimalDigits
// characters, and returns the end of what it wrote. Written into a buffer
// on the stack by the caller, then copied once: StrAppend's pieces (an
// AlphaNum per argument, a pass for the size, then the copies) cost more
// than the digits.
template <typename Integer>
char* WriteDecimal(Integer value, char* out) {
  const std::to_chars_result digits = std::to_chars(out, out + kMaxDecimalDigits, value);
  KV_CHECK(digits.ec == std::errc());
  return digits.ptr;
}

}  // namespace

KvWorkload::KvWorkload(node::KvClient& client, env::Env& env, int client_index, const KvKeyNames& key_names,
                       const KvWorkloadOptions& options, properties::KvHistory& history)
    : client_(client),
      env_(env),
      client_index_(client_index),
      key_names_(key_names),
      options_(options),
      history_(history) {
  KV_CHECK_EQ(key_names.keys_per_client(), options.keys_per_client);
  KV_CHECK_LT(client_index, key_names.client_count());
  for (int j = 0; j < options_.keys_per_client; ++j) {
    known_.push_back(kKnownAbsent);  // Known to be absent at the start.
  }
  key_handles_.resize(static_cast<size_t>(key_names.client_count()) * known_.size());
}

KvWorkload::~KvWorkload() { env_.clock.Cancel(timer_); }

void KvWorkload::Start() {
  running_ = true;
  ScheduleNext();
}

void KvWorkload::ScheduleNext() {
  if (!running_) return;
  if (options_.ops_per_client != 0 && stats_.ops >= options_.ops_per_client) return;
  timer_ = env_.clock.After(env_.random.Exponential(options_.think_mean_ns), [this] { IssueOne(); });
}

void KvWorkload::IssueOne() {
  if (!running_) return;
  ++stats_.ops;
  in_flight_ = true;
  const env::TimeNs call_ns = env_.clock.NowNs();
  const uint64_t dice = env_.random.Uniform(100);
  const uint32_t get_below = options_.get_percent;
  const uint32_t delete_below = get_below + options_.delete_percent;
  const uint32_t cas_below = delete_below + options_.cas_percent;
  if (dice < get_below) {  // GET of anybody's key.
    // Drawn in the order the arguments of the StrCat that once built the
    // key here were evaluated: the key index first, then the client.
    const uint64_t key_index = env_.random.Uniform(options_.keys_per_client);
    const uint64_t owner = env_.random.Uniform(key_names_.client_count());
    // What the callback records is kept here, not captured: the callback
    // then fits AnyInvocable's inline storage (see call_).
    call_.key = &key_names_.Name(owner, key_index);
    call_.key_slot = static_cast<size_t>(owner * options_.keys_per_client + key_index);
    call_.call_ns = call_ns;
    call_.is_get = true;
    if (tracer_ != nullptr) TraceCall("GET", *call_.key, "");
    client_.Get(*call_.key, [this](absl::StatusOr<node::pb::Result>&& result) { OnGetDone(result); });
    return;
  }
  call_.key_index = env_.random.Uniform(options_.keys_per_client);
  call_.key = &key_names_.Name(static_cast<uint64_t>(client_index_), call_.key_index);
  call_.key_slot = static_cast<size_t>(client_index_ * options_.keys_per_client) + call_.key_index;
  call_.call_ns = call_ns;
  call_.is_get = false;
  const std::string& key = *call_.key;
  const uint64_t padding_bytes = env_.random.Uniform(options_.value_bytes_max);
  // Every write takes a value number, a DELETE too, though it writes none.
  const uint64_t value_number = next_value_++;
  // call_ is filled in before each call: a refused call answers at once.
  auto done = [this](absl::StatusOr<node::pb::Result>&& result) { OnWriteDone(result); };
  const size_t known = known_[call_.key_index];
  if (dice < delete_below) {
    if (tracer_ != nullptr) TraceCall("DELETE", key, "");
    call_.value = std::nullopt;
    call_.is_cas = false;
    client_.Delete(key, std::move(done));
    return;
  }
  // The value is built in place in call_, and only for the writes that
  // write one.
  call_.is_cas = dice < cas_below && known != kKnownUnknown;
  const std::string& value = BuildValue(value_number, padding_bytes, call_.value);
  if (call_.is_cas) {
    // The expected value is copied for the call only here, at a CAS.
    call_.expected.reset();
    if (known != kKnownAbsent) call_.expected.emplace(history_.operations()[known].value);
    if (tracer_ != nullptr) {
      TraceCall("CAS", key,
                absl::StrCat("expect ", call_.expected.has_value() ? *call_.expected : "absent", " -> ", value));
    }
    client_.Cas(key, call_.expected, value, std::move(done));
  } else {
    if (tracer_ != nullptr) TraceCall("PUT", key, value);
    client_.Put(key, value, std::move(done));
  }
}

const std::string& KvWorkload::BuildValue(uint64_t value_number, uint64_t padding_bytes,
                                          std::optional<std::string>& value) const {
  // "<client>.<n>.vvv…", built in one string: a StrCat of a string of 'v's
  // cost two allocations per write.
  char prefix[2 * kMaxDecimalDigits + 2];
  char* end = WriteDecimal(client_index_, prefix);
  *end++ = '.';
  end = WriteDecimal(value_number, end);
  *end++ = '.';
  // Made with its size and filled with 'v's, then the prefix copied over
  // the first: a reserve, an assign and an append were three calls, each
  // checking and resizing. Constructed so rather than assigned: the
  // string the last write built has gone to its operation, and an
  // assignment to a new one went through the general replace.
  const size_t prefix_bytes = static_cast<size_t>(end - prefix);
  std::string& built = value.emplace(prefix_bytes + padding_bytes, 'v');
  std::memcpy(built.data(), prefix, prefix_bytes);
  return built;
}

void KvWorkload::AbandonInFlight() {
  KV_CHECK(!running_);
  if (!in_flight_) return;
  tracer_ = nullptr;  // The trace has ended; this is no event of the run.
  const absl::Status unanswered = absl::DeadlineExceededError("the run ended before an answer came");
  if (call_.is_get) {
    absl::StatusOr<node::pb::Result> result = unanswered;
    OnGetDone(result);
  } else {
    OnWriteDone(unanswered);
  }
}

void KvWorkload::OnGetDone(absl::StatusOr<node::pb::Result>& result) {
  in_flight_ = false;
  const std::string& key = *call_.key;
  const env::TimeNs call_ns = call_.call_ns;
  if (tracer_ != nullptr) TraceReply(key, call_ns, result);
  if (result.ok()) {
    ++stats_.acknowledged;
    // As MakeGet builds it (properties/linearizability/history.h), in
    // place, with the reply's value moved in; the history's read points at
    // the operation rather than holding a copy of the value.
    std::vector<properties::Operation>& operations = history_.operations();
    const size_t index = operations.size();
    properties::Operation& operation = operations.emplace_back();
    operation.client_id = client_index_;
    operation.key = key;
    operation.kind = properties::OpKind::kGet;
    if (result->code() == node::pb::CODE_OK) operation.read_value = std::move(*result->mutable_value());
    operation.call_ns = call_ns;
    operation.return_ns = env_.clock.NowNs();
    history_.RecordReadOf(KeyHandleOf(call_.key_slot, key), index);
  } else {
    ++stats_.indeterminate;
  }
  ScheduleNext();
}

void KvWorkload::OnWriteDone(const absl::StatusOr<node::pb::Result>& result) {
  in_flight_ = false;
  const std::string& key = *call_.key;
  std::optional<std::string>& value = call_.value;
  const bool is_cas = call_.is_cas;
  const env::TimeNs call_ns = call_.call_ns;
  if (tracer_ != nullptr) TraceReply(key, call_ns, result);
  // By the key's handle, got at its first operation here (a key lists
  // only once it has a write: see KvHistory::keys()).
  const properties::KvHistory::KeyHandle handle = KeyHandleOf(call_.key_slot, key);
  const env::TimeNs return_ns = env_.clock.NowNs();
  const bool timed_out = !result.ok() && result.status().code() == absl::StatusCode::kDeadlineExceeded;
  const bool cas_mismatch = result.ok() && is_cas && result->code() == node::pb::CODE_CAS_MISMATCH;
  KvOutcome outcome = KvOutcome::kApplied;
  if (timed_out) {
    outcome = KvOutcome::kIndeterminate;
  } else if (!result.ok() || cas_mismatch) {
    outcome = KvOutcome::kNotApplied;
  }
  size_t& known = known_[call_.key_index];
  // What the key holds if the write was applied, as known_ says it.
  size_t written = kKnownAbsent;
  if (result.ok() || timed_out) {
    // As MakePut, MakeDelete or MakeCas build it, then TimedOut() if it
    // timed out (properties/linearizability/history.h), in place, with the
    // value moved in; the history's write points at it.
    std::vector<properties::Operation>& operations = history_.operations();
    const size_t index = operations.size();
    properties::Operation& operation = operations.emplace_back();
    operation.client_id = client_index_;
    operation.key = key;
    if (!value.has_value()) {
      operation.kind = properties::OpKind::kDelete;
    } else {
      operation.kind = is_cas ? properties::OpKind::kCas : properties::OpKind::kPut;
      operation.value = std::move(*value);
      written = index;
    }
    if (is_cas) {
      KV_CHECK_NE(known, kKnownUnknown);  // As at the call: only answers change it.
      operation.expected = std::move(call_.expected);
    }
    operation.completed = !timed_out;
    operation.cas_succeeded = !timed_out && is_cas && result->code() == node::pb::CODE_OK;
    operation.call_ns = call_ns;
    operation.return_ns = timed_out ? 0 : return_ns;
    history_.RecordWriteOf(handle, index, return_ns, outcome);
  } else {
    // Refused outright: no effect, nothing for the linearizability check.
    properties::KvWrite write;
    write.value = std::move(value);
    write.call_ns = call_ns;
    write.return_ns = return_ns;
    write.outcome = outcome;
    history_.RecordWrite(handle, std::move(write));
  }
  if (!result.ok()) {
    if (timed_out) {
      ++stats_.indeterminate;
      known = kKnownUnknown;  // Until a later write is acknowledged.
    } else {
      ++stats_.refused;
    }
  } else if (cas_mismatch) {
    // The owner's knowledge came from acknowledged writes, so a mismatch is
    // suspicious: record what the store said it held as a read, and let the
    // read check judge it.
    ++stats_.acknowledged;
    properties::KvRead read;
    read.key = key;
    read.call_ns = call_ns;
    read.return_ns = return_ns;
    if (result->found()) read.observed = result->value();
    history_.RecordRead(std::move(read));
  } else {
    // PUT and CAS OK, DELETE OK or NOT_FOUND: afterwards the key holds
    // what was written.
    ++stats_.acknowledged;
    known = written;
  }
  ScheduleNext();
}

void KvWorkload::TraceCall(const std::string& what, const std::string& key, const std::string& detail) {
  traced_call_ = absl::StrCat(what, " ", key);
  trace::TraceEvent e;
  e.kind = trace::TraceKind::kClientCall;
  e.node = node_;
  e.shard = cluster_->ShardOf(key);
  e.text = traced_call_;
  e.detail = detail.size() > 32 ? absl::StrCat(detail.substr(0, 24), "... (", detail.size(), " bytes)") : detail;
  tracer_->Record(std::move(e));
}

void KvWorkload::TraceReply(const std::string& key, env::TimeNs call_ns,
                            const absl::StatusOr<node::pb::Result>& result) {
  trace::TraceEvent e;
  e.kind = trace::TraceKind::kClientReply;
  e.node = node_;
  e.shard = cluster_->ShardOf(key);
  e.text = traced_call_;
  e.duration_ns = env_.clock.NowNs() - call_ns;
  if (!result.ok()) {
    e.detail = result.status().code() == absl::StatusCode::kDeadlineExceeded
                   ? "timed out (indeterminate)"
                   : absl::StrCat("refused: ", result.status().message());
  } else {
    const std::string& code = node::pb::Code_Name(result->code());
    e.detail = code.rfind("CODE_", 0) == 0 ? code.substr(5) : code;  // "OK", "NOT_FOUND".
    if (result->code() == node::pb::CODE_OK && result->found()) {
      absl::StrAppend(&e.detail, " ", result->value().size() > 24 ? result->value().substr(0, 24) + "..." : result->value());
    }
  }
  tracer_->Record(std::move(e));
}

}  // namespace kv::sim
