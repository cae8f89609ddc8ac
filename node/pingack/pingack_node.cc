#include "node/pingack/pingack_node.h"

#include <utility>

#include "node/env/check.h"

namespace kv::pingack {

PingAckNode::PingAckNode(env::Env& env, std::vector<env::NodeId> peers,
                         const PingAckConfig& config, PingAckObserver* observer)
    : env_(env),
      peers_(std::move(peers)),
      config_(config),
      observer_(observer),
      id_prefix_((env.random.Next64() & 0xffffffffULL) << 32) {
  KV_CHECK(!peers_.empty());
  KV_CHECK_GT(config_.payload_bytes_max, 0u);
  KV_CHECK_LE(config_.payload_bytes_max, kMaxPayloadBytes);
  KV_CHECK_GT(config_.retry_initial_ns, 0);
}

PingAckNode::~PingAckNode() {
  env_.clock.Cancel(issue_timer_);
  for (auto& [id, request] : outstanding_) env_.clock.Cancel(request.retry_timer);
  env_.network.SetReceiver(nullptr);
}

void PingAckNode::Start() {
  env_.network.SetReceiver(
      [this](env::NodeId from, absl::string_view bytes) { OnMessage(from, bytes); });
  issuing_ = true;
  ScheduleNextRequest();
}

void PingAckNode::StopIssuing() {
  issuing_ = false;
  env_.clock.Cancel(issue_timer_);
  issue_timer_ = env::TimerId{};
}

void PingAckNode::ScheduleNextRequest() {
  if (!issuing_) return;
  const env::DurationNs delay_ns = env_.random.Exponential(config_.request_interval_ns);
  issue_timer_ = env_.clock.After(delay_ns, [this] {
    IssueRequest();
    ScheduleNextRequest();
  });
}

void PingAckNode::IssueRequest() {
  if (outstanding_.size() >= config_.outstanding_max) return;
  Frame frame;
  frame.kind = FrameKind::kRequest;
  frame.request_id = id_prefix_ | next_sequence_++;
  const auto payload_bytes = static_cast<size_t>(env_.random.UniformRange(1, config_.payload_bytes_max));
  frame.payload.resize(payload_bytes);
  for (char& c : frame.payload) c = static_cast<char>(env_.random.Uniform(256));

  Outstanding request;
  std::string bytes = EncodeFrame(frame);
  // The retained frame is charged to the memory budget; under pressure the
  // node simply issues fewer requests.
  if (!env_.memory.ReserveScoped(static_cast<int64_t>(bytes.size()), "pingack request",
                                 request.memory)
           .ok()) {
    ++stats_.budget_refusals;
    return;
  }
  request.to = peers_[env_.random.Uniform(peers_.size())];
  request.frame = bytes;
  request.backoff_ns = config_.retry_initial_ns;
  const uint64_t id = frame.request_id;
  request.retry_timer = env_.clock.After(request.backoff_ns, [this, id] { OnRetry(id); });
  const env::NodeId to = request.to;
  outstanding_.emplace(id, std::move(request));
  ++stats_.issued;
  if (observer_ != nullptr) observer_->OnIssued(env_.network.self(), id);
  SendFrame(to, std::move(bytes));
}

void PingAckNode::SendFrame(env::NodeId to, std::string bytes) {
  if (!env_.network.Send(to, std::move(bytes)).ok()) ++stats_.send_errors;
}

void PingAckNode::OnRetry(uint64_t request_id) {
  auto it = outstanding_.find(request_id);
  KV_CHECK(it != outstanding_.end());  // Acked requests cancel their timer.
  Outstanding& request = it->second;
  ++stats_.retries;
  SendFrame(request.to, request.frame);
  request.backoff_ns = std::min(request.backoff_ns * 2, config_.retry_max_ns);
  request.retry_timer = env_.clock.After(request.backoff_ns, [this, request_id] { OnRetry(request_id); });
}

void PingAckNode::OnMessage(env::NodeId from, absl::string_view bytes) {
  absl::StatusOr<Frame> frame = DecodeFrame(bytes);
  if (!frame.ok()) {
    ++stats_.decode_errors;  // Dropped: the sender retries.
    return;
  }
  if (frame->kind == FrameKind::kRequest) {
    OnRequest(from, *frame);
  } else {
    OnAck(*frame);
  }
}

void PingAckNode::OnRequest(env::NodeId from, const Frame& frame) {
  const bool first_time = processed_[from].insert(frame.request_id).second;
  if (first_time || config_.bug_skip_dedup) {
    ++stats_.processed;
    if (observer_ != nullptr) observer_->OnProcessed(env_.network.self(), from, frame.request_id);
  } else {
    ++stats_.duplicates_suppressed;
  }
  // Always acknowledge: the previous ack may have been lost.
  Frame ack;
  ack.kind = FrameKind::kAck;
  ack.request_id = frame.request_id;
  SendFrame(from, EncodeFrame(ack));
}

void PingAckNode::OnAck(const Frame& frame) {
  auto it = outstanding_.find(frame.request_id);
  if (it == outstanding_.end()) {
    ++stats_.stale_acks;
    return;
  }
  env_.clock.Cancel(it->second.retry_timer);
  outstanding_.erase(it);
  ++stats_.acked;
  if (observer_ != nullptr) observer_->OnAcked(env_.network.self(), frame.request_id);
}

}  // namespace kv::pingack
