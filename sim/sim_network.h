#pragma once
// SimNetwork: the simulated network between N nodes. Layer: sim.
//
// Carries serialized messages between per-node endpoints (env::Network), with
// a per-link fault model drawn from a per-link random stream:
// - latency: base + uniform jitter, plus a rare long tail (exponential);
// - loss, duplication, and reordering (a message held back so that later ones
//   overtake it), each as parts per million;
// - partitions, applied and healed at run time: symmetric, one-way, isolate a
//   node, split into groups, and bridge (two halves that can each reach one
//   middle node). A partition is a set of blocked directed links; a message is
//   dropped if its link is blocked when it is sent or when it would arrive.
// Messages to a node that crashed after they were sent are dropped; messages
// to a paused node wait until the pause ends (NodeContext). See
// docs/simulator.md for the model and its rationale.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "node/env/network.h"
#include "node/env/random.h"
#include "sim/node_context.h"
#include "sim/scheduler.h"

namespace kv::sim {

// The fault model of one directed link.
struct LinkProfile {
  env::DurationNs latency_base_ns = 100'000;
  env::DurationNs latency_jitter_ns = 50'000;  // Uniform in [0, jitter].
  uint32_t tail_ppm = 1'000;                   // Chance of a long-tail delay...
  env::DurationNs tail_mean_ns = 5'000'000;    // ...exponential with this mean.
  uint32_t loss_ppm = 0;
  uint32_t duplicate_ppm = 0;
  uint32_t reorder_ppm = 0;
  env::DurationNs reorder_delay_max_ns = 2'000'000;  // Hold-back, uniform.
};

// Counters over the whole network. Every message sent ends in exactly one of
// delivered / lost / dropped_partition / dropped_down, and every duplicate
// adds one more message that does the same.
struct NetworkStats {
  uint64_t sent = 0;
  uint64_t refused = 0;  // Send() returned an error (oversized, bad peer).
  uint64_t delivered = 0;
  uint64_t lost = 0;
  uint64_t dropped_partition = 0;
  uint64_t dropped_down = 0;  // Receiver crashed, or no receiver installed.
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t tail_delayed = 0;
  uint64_t bytes_sent = 0;
};

class SimNetwork {
 public:
  // `nodes` must outlive the network; node i has id i. Each directed link
  // draws from its own stream derived from `root` and the link's ends.
  SimNetwork(Scheduler& scheduler, std::vector<NodeContext*> nodes, const env::Random& root,
             const LinkProfile& profile);
  ~SimNetwork();

  int node_count() const { return static_cast<int>(nodes_.size()); }

  // The endpoint that node `id` uses as its env::Network.
  env::Network& endpoint(env::NodeId id);

  // Sets the profile of every link, or of one directed link.
  void SetProfile(const LinkProfile& profile);
  void SetLinkProfile(env::NodeId from, env::NodeId to, const LinkProfile& profile);
  const LinkProfile& link_profile(env::NodeId from, env::NodeId to) const;

  // Partitions. Each call adds blocked links to those already blocked; Heal()
  // removes them all.
  void Block(env::NodeId from, env::NodeId to);
  void Unblock(env::NodeId from, env::NodeId to);
  bool blocked(env::NodeId from, env::NodeId to) const;
  // No traffic between `a` and `b`, either way.
  void PartitionSymmetric(const std::vector<env::NodeId>& a, const std::vector<env::NodeId>& b);
  // No traffic from `from` to `to`; the reverse direction still works.
  void PartitionOneWay(const std::vector<env::NodeId>& from, const std::vector<env::NodeId>& to);
  // `node` can neither send to nor hear from anyone else.
  void Isolate(env::NodeId node);
  // Nodes in different groups cannot talk. Nodes in no group are isolated.
  void SplitGroups(const std::vector<std::vector<env::NodeId>>& groups);
  // `left` and `right` cannot talk to each other; both talk to `middle`.
  void Bridge(const std::vector<env::NodeId>& left, env::NodeId middle,
              const std::vector<env::NodeId>& right);
  // Jepsen's "majorities ring": the nodes of `ring`, in that order, stand
  // on a circle, and each talks only to the nodes within w places of it,
  // where w is the least that gives every node a majority of `ring`
  // (itself included). Every node sees a majority, but no two neighbours see
  // the same one, so no node is in touch with every member of any majority
  // but its own. Nodes not in `ring` are unaffected.
  void MajoritiesRing(const std::vector<env::NodeId>& ring);
  // Removes every blocked link.
  void Heal();
  // Number of blocked directed links.
  int blocked_link_count() const;

  const NetworkStats& stats() const { return stats_; }

 private:
  class Endpoint;
  // Aligned to 128 bytes (from 120), so that finding a link, once or twice
  // per message, scales its index by a shift.
  struct alignas(128) Link {
    LinkProfile profile;
    env::Random random;
    bool blocked = false;
  };

  Link& link(env::NodeId from, env::NodeId to) { return links_[from * node_count_ + to]; }
  const Link& link(env::NodeId from, env::NodeId to) const { return links_[from * node_count_ + to]; }
  // The message bytes travel by rvalue reference from the endpoint to the
  // delivery event, which moves them once, into its closure.
  // `kTraced`: whether the scheduler has a tracer (the endpoint checks once
  // per message), so that an untraced run's copy tests for none.
  template <bool kTraced>
  absl::Status Send(env::NodeId from, env::NodeId to, std::string&& bytes);
  // Send<true>, out of line (only a traced run calls it).
  absl::Status SendTraced(env::NodeId from, env::NodeId to, std::string&& bytes);
  // Counts and traces a message Send refuses (an unknown peer, or no bytes
  // or too many), and returns the error that says which.
  template <bool kTraced>
  absl::Status Refuse(env::NodeId from, env::NodeId to, const std::string& bytes);
  env::DurationNs DrawDelay(Link& link);
  // `link` is link(from, to), which the delivery keeps (links_ never
  // moves) rather than find again; `tag` is the delivery event's digest tag
  // (Send derives it from the ends and the bytes); `message_id` names the
  // message in a trace (0 when not tracing); `duplicate`: this is the extra
  // copy of a duplicated message. `kTraced` as in Send.
  template <bool kTraced>
  void ScheduleDelivery(env::NodeId from, env::NodeId to, const Link& link, env::DurationNs delay_ns,
                        uint64_t tag, std::string&& bytes, uint64_t message_id, bool duplicate);
  // Delivers a message that arrived while its receiver `node` (node `to`)
  // is paused, in an event of the node, which runs when the pause ends.
  template <bool kTraced>
  void DeferDelivery(NodeContext& node, env::NodeId from, env::NodeId to, const Link& link,
                     std::string&& bytes, uint64_t message_id);
  // `kTraced`: that of the Send that scheduled the delivery. A message sent
  // untraced is delivered untraced (a run attaches its tracer before any).
  // `link` is link(from, to).
  template <bool kTraced>
  void Deliver(env::NodeId from, env::NodeId to, const Link& link, const std::string& bytes,
               uint64_t message_id);

  Scheduler& scheduler_;
  std::vector<NodeContext*> nodes_;
  // nodes_.size(), read per message (the peer check and the link's index)
  // without deriving it from the vector's ends.
  size_t node_count_;
  std::vector<Link> links_;  // Row-major by (from, to); never resized after construction.
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  NetworkStats stats_;
};

}  // namespace kv::sim
