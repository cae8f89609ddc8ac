#include "sim/sim_network.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "sim/digest.h"
#include "sim/trace/tracer.h"

namespace kv::sim {
namespace {

constexpr uint64_t kLinkStream = 0x4c494e4b00000000ULL;  // "LINK"
constexpr uint64_t kDeliveryTag = 0x444c5652ULL;         // "DLVR"

}  // namespace

// One node's view of the network.
class SimNetwork::Endpoint final : public env::Network {
 public:
  Endpoint(SimNetwork& network, env::NodeId id) : network_(network), id_(id) {}

  env::NodeId self() const override { return id_; }
  absl::Status Send(env::NodeId to, std::string bytes) override {
    if (network_.scheduler_.tracer() != nullptr) [[unlikely]] {
      return network_.SendTraced(id_, to, std::move(bytes));
    }
    return network_.Send<false>(id_, to, std::move(bytes));
  }
  void SetReceiver(OnMessage on_message) override { receiver_ = std::move(on_message); }

  OnMessage& receiver() { return receiver_; }

 private:
  SimNetwork& network_;
  env::NodeId id_;
  OnMessage receiver_;
};

SimNetwork::SimNetwork(Scheduler& scheduler, std::vector<NodeContext*> nodes,
                       const env::Random& root, const LinkProfile& profile)
    : scheduler_(scheduler), nodes_(std::move(nodes)), node_count_(nodes_.size()) {
  const size_t n = node_count_;
  KV_CHECK_GT(n, 0u);
  links_.reserve(n * n);
  for (size_t from = 0; from < n; ++from) {
    KV_CHECK_EQ(nodes_[from]->id(), static_cast<env::NodeId>(from));
    for (size_t to = 0; to < n; ++to) {
      links_.push_back(Link{profile, root.Derive(kLinkStream | (from << 16) | to), false});
    }
  }
  for (size_t id = 0; id < n; ++id) {
    endpoints_.push_back(std::make_unique<Endpoint>(*this, static_cast<env::NodeId>(id)));
  }
}

SimNetwork::~SimNetwork() = default;

env::Network& SimNetwork::endpoint(env::NodeId id) {
  KV_CHECK_LT(id, endpoints_.size());
  return *endpoints_[id];
}

void SimNetwork::SetProfile(const LinkProfile& profile) {
  for (Link& l : links_) l.profile = profile;
}

void SimNetwork::SetLinkProfile(env::NodeId from, env::NodeId to, const LinkProfile& profile) {
  link(from, to).profile = profile;
}

const LinkProfile& SimNetwork::link_profile(env::NodeId from, env::NodeId to) const {
  return link(from, to).profile;
}

// Precondition: the scheduler has a tracer if and only if kTraced, so that
// the untraced copy, every run's but kvsim replay's, tests for none.
// The untraced copy is inlined in Endpoint::Send, the traced one in
// SendTraced (out of line): with both copies inlined there, the untraced
// one cost 3M instructions more in the standard run, and a call per
// message cost 1.3M.
template <bool kTraced>
[[gnu::always_inline]] inline absl::Status SimNetwork::Send(env::NodeId from, env::NodeId to,
                                                            std::string&& bytes) {
  [[maybe_unused]] trace::Tracer* const tracer = scheduler_.tracer();
  if (to >= node_count_ || bytes.empty() ||
      static_cast<int64_t>(bytes.size()) > env::kMaxMessageBytes) [[unlikely]] {
    return Refuse<kTraced>(from, to, bytes);
  }
  ++stats_.sent;
  stats_.bytes_sent += bytes.size();
  Link& l = link(from, to);
  uint64_t message_id = 0;
  if constexpr (kTraced) message_id = tracer->NextMessageId();
  if (l.blocked) {
    ++stats_.dropped_partition;
    if constexpr (kTraced) tracer->MessageDropped(from, to, message_id, bytes, trace::DropReason::kPartition, false);
    return absl::OkStatus();
  }
  // Draw every decision for this message in a fixed order from the link's own
  // stream, whatever the outcome, so that one message's fate never shifts the
  // draws of messages on other links.
  const bool lose = l.random.ChancePpm(l.profile.loss_ppm);
  const bool duplicate = l.random.ChancePpm(l.profile.duplicate_ppm);
  env::DurationNs delay_ns = DrawDelay(l);
  if (lose) {
    ++stats_.lost;
    if constexpr (kTraced) tracer->MessageDropped(from, to, message_id, bytes, trace::DropReason::kLoss, false);
    return absl::OkStatus();
  }
  // The delivery's digest tag, the same for a duplicate's copy (same ends,
  // same bytes): hashed once.
  const uint64_t tag = HashBytes(bytes, kDeliveryTag ^ (static_cast<uint64_t>(from) << 32) ^ to);
  if (duplicate) {
    ++stats_.duplicated;
    const env::DurationNs copy_delay_ns = DrawDelay(l);
    uint64_t copy_message_id = 0;
    if constexpr (kTraced) copy_message_id = tracer->NextMessageId();
    ScheduleDelivery<kTraced>(from, to, l, copy_delay_ns, tag, std::string(bytes), copy_message_id, true);
  }
  ScheduleDelivery<kTraced>(from, to, l, delay_ns, tag, std::move(bytes), message_id, false);
  return absl::OkStatus();
}

[[gnu::noinline]] absl::Status SimNetwork::SendTraced(env::NodeId from, env::NodeId to, std::string&& bytes) {
  return Send<true>(from, to, std::move(bytes));
}

// Out of line: building the error's text on Send's path took registers
// and stack that every message then paid for.
template <bool kTraced>
[[gnu::cold, gnu::noinline]] absl::Status SimNetwork::Refuse(env::NodeId from, env::NodeId to,
                                                             const std::string& bytes) {
  ++stats_.refused;
  if constexpr (kTraced) {
    trace::Tracer* const tracer = scheduler_.tracer();
    tracer->MessageDropped(from, to, tracer->NextMessageId(), bytes, trace::DropReason::kRefused, false);
  }
  if (to >= nodes_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("send to unknown node ", to, " (cluster has ", nodes_.size(), ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat("message of ", bytes.size(),
                                                 " bytes; must be 1..", env::kMaxMessageBytes));
}

[[gnu::always_inline]] inline env::DurationNs SimNetwork::DrawDelay(Link& l) {
  const LinkProfile& p = l.profile;
  env::DurationNs delay_ns = p.latency_base_ns;
  if (p.latency_jitter_ns > 0) delay_ns += l.random.UniformRange(0, p.latency_jitter_ns);
  if (l.random.ChancePpm(p.tail_ppm)) {
    ++stats_.tail_delayed;
    delay_ns += l.random.Exponential(p.tail_mean_ns);
  }
  if (l.random.ChancePpm(p.reorder_ppm)) {
    ++stats_.reordered;
    delay_ns += l.random.UniformRange(0, p.reorder_delay_max_ns);
  }
  return delay_ns;
}

// Inline in Send (at both its calls there, the copy's and the message's):
// a call per message, with seven arguments and six saved registers, cost
// more than a second copy of this code.
template <bool kTraced>
[[gnu::always_inline]] inline void SimNetwork::ScheduleDelivery(
    env::NodeId from, env::NodeId to, const Link& link, env::DurationNs delay_ns, uint64_t tag,
    std::string&& bytes, uint64_t message_id, bool duplicate) {
  [[maybe_unused]] trace::Tracer* const tracer = scheduler_.tracer();
  NodeContext& receiver = *nodes_[to];
  if (!receiver.up()) {
    ++stats_.dropped_down;
    if constexpr (kTraced) {
      tracer->MessageDropped(from, to, message_id, bytes, trace::DropReason::kDown, false);
    }
    return;
  }
  if constexpr (kTraced) {
    tracer->MessageSent(from, to, message_id, bytes, delay_ns, duplicate ? "duplicate copy" : "");
  }
  const uint64_t incarnation = receiver.incarnation();
  // Scheduled on the scheduler directly (not through the NodeContext) so that
  // a drop because the receiver crashed is counted here. The closure is
  // built in the event's slot, where the bytes are moved once.
  scheduler_.AfterResultOf(delay_ns, tag, [&] {
    return [this, from, to, link = &link, incarnation, message_id, bytes = std::move(bytes)]() mutable {
      NodeContext& node = *nodes_[to];
      if (!node.up() || node.incarnation() != incarnation) {
        ++stats_.dropped_down;
        if constexpr (kTraced) {
          if (trace::Tracer* tracer = scheduler_.tracer()) {
            tracer->MessageDropped(from, to, message_id, bytes, trace::DropReason::kDown, true);
          }
        }
        return;
      }
      if (node.paused()) [[unlikely]] {
        return DeferDelivery<kTraced>(node, from, to, *link, std::move(bytes), message_id);
      }
      node.RunEvent([&] { Deliver<kTraced>(from, to, *link, bytes, message_id); });
    };
  });
}

// Out of line (rare: only while a pause fault holds the receiver), so that
// the delivery event does not set up for building a node event.
template <bool kTraced>
[[gnu::cold, gnu::noinline]] void SimNetwork::DeferDelivery(NodeContext& node, env::NodeId from,
                                                            env::NodeId to, const Link& link,
                                                            std::string&& bytes, uint64_t message_id) {
  // A frozen process reads its socket when it wakes.
  node.After(0, 0, [this, from, to, link = &link, message_id, bytes = std::move(bytes)] {
    Deliver<kTraced>(from, to, *link, bytes, message_id);
  });
}

// Inline in the delivery event (as DrawDelay is in Send): one call fewer
// per message.
template <bool kTraced>
[[gnu::always_inline]] inline void SimNetwork::Deliver(env::NodeId from, env::NodeId to,
                                                       const Link& link, const std::string& bytes,
                                                       uint64_t message_id) {
  // A traced run may detach its tracer while deliveries are pending (it
  // does, before its final checks): the traced copy still tests for it.
  trace::Tracer* const tracer = scheduler_.tracer();
  if (link.blocked) {
    ++stats_.dropped_partition;
    if (kTraced && tracer != nullptr) tracer->MessageDropped(from, to, message_id, bytes, trace::DropReason::kPartition, true);
    return;
  }
  Endpoint& endpoint = *endpoints_[to];
  if (!endpoint.receiver()) {
    ++stats_.dropped_down;
    if (kTraced && tracer != nullptr) tracer->MessageDropped(from, to, message_id, bytes, trace::DropReason::kNoReceiver, true);
    return;
  }
  ++stats_.delivered;
  if (kTraced && tracer != nullptr) tracer->MessageDelivered(from, to, message_id, bytes);
  endpoint.receiver()(from, bytes);
}

void SimNetwork::Block(env::NodeId from, env::NodeId to) {
  if (from != to) link(from, to).blocked = true;
}

void SimNetwork::Unblock(env::NodeId from, env::NodeId to) { link(from, to).blocked = false; }

bool SimNetwork::blocked(env::NodeId from, env::NodeId to) const {
  return link(from, to).blocked;
}

void SimNetwork::PartitionSymmetric(const std::vector<env::NodeId>& a,
                                    const std::vector<env::NodeId>& b) {
  PartitionOneWay(a, b);
  PartitionOneWay(b, a);
}

void SimNetwork::PartitionOneWay(const std::vector<env::NodeId>& from,
                                 const std::vector<env::NodeId>& to) {
  for (env::NodeId f : from) {
    for (env::NodeId t : to) Block(f, t);
  }
}

void SimNetwork::Isolate(env::NodeId node) {
  for (env::NodeId other = 0; other < nodes_.size(); ++other) {
    Block(node, other);
    Block(other, node);
  }
}

void SimNetwork::SplitGroups(const std::vector<std::vector<env::NodeId>>& groups) {
  std::vector<int> group_of(nodes_.size(), -1);
  for (size_t g = 0; g < groups.size(); ++g) {
    for (env::NodeId id : groups[g]) {
      KV_CHECK_LT(id, nodes_.size());
      group_of[id] = static_cast<int>(g);
    }
  }
  for (env::NodeId from = 0; from < nodes_.size(); ++from) {
    for (env::NodeId to = 0; to < nodes_.size(); ++to) {
      if (group_of[from] == -1 || group_of[from] != group_of[to]) Block(from, to);
    }
  }
}

void SimNetwork::Bridge(const std::vector<env::NodeId>& left, env::NodeId middle,
                        const std::vector<env::NodeId>& right) {
  for (env::NodeId id : left) KV_CHECK_NE(id, middle);
  for (env::NodeId id : right) KV_CHECK_NE(id, middle);
  PartitionSymmetric(left, right);
}

void SimNetwork::MajoritiesRing(const std::vector<env::NodeId>& ring) {
  const int n = static_cast<int>(ring.size());
  for (env::NodeId id : ring) KV_CHECK_LT(id, nodes_.size());
  const int majority = n / 2 + 1;
  const int window = majority / 2;  // Neighbours on each side: 1 + 2w >= majority.
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const int apart = std::abs(i - j);
      if (std::min(apart, n - apart) > window) Block(ring[i], ring[j]);
    }
  }
}

void SimNetwork::Heal() {
  for (Link& l : links_) l.blocked = false;
}

int SimNetwork::blocked_link_count() const {
  int count = 0;
  for (const Link& l : links_) count += l.blocked;
  return count;
}

}  // namespace kv::sim
