#pragma once
// RaftCluster: one Raft group hosted on the simulator, with the control
// surface the fault injector drives. Layer: sim (harness).
//
// Each member is a host that follows raft/raft.h: it ticks the core from its
// own SimClock (catching up on ticks missed during a pause before handling
// any input), sends ready.messages at once, writes the Ready to its durable
// MemoryLogStorage after a simulated disk latency, then sends
// ready.messages_after_persist, applies committed entries and advances.
// A crash drops the Raft object, the state machine and any write in flight;
// the durable storage survives exactly as far as writes completed.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faults/fault_injector.h"
#include "node/env/random.h"
#include "properties/raft/raft_checker.h"
#include "raft/memory_log_storage.h"
#include "raft/raft.h"
#include "sim/node_context.h"
#include "sim/scheduler.h"
#include "sim/sim_clock.h"
#include "sim/sim_network.h"

namespace kv::sim {

struct RaftClusterOptions {
  int members = 3;
  uint32_t bugs = raft::kNone;
  bool lease_reads = false;
  // ReadIndex rounds to every member (etcd) instead of a quorum's worth.
  bool read_index_all_members = false;
  env::DurationNs tick_ns = 10 * env::kMillisecond;
  env::DurationNs disk_latency_min_ns = 100 * env::kMicrosecond;
  env::DurationNs disk_latency_max_ns = 2 * env::kMillisecond;
  // A member snapshots and compacts once this many applied entries are in
  // its log.
  uint64_t compact_threshold_entries = 100;
  uint64_t snapshot_chunk_size_bytes = 256;
  // raft::Config::max_size_per_msg_bytes; 1 sends one entry per MSG_APP.
  uint64_t max_size_per_msg_bytes = 4096;
  // Filler bytes in each snapshot, so that transfers take several chunks.
  uint64_t snapshot_filler_bytes = 1024;
  LinkProfile link;
  std::vector<env::TimeNs> clock_offset_ns;  // Per member; empty means zero.
  std::vector<int64_t> clock_drift_ppb;      // Per member; empty means zero.
};

struct RaftClusterStats {
  uint64_t proposals_accepted = 0;
  uint64_t proposals_refused = 0;
  uint64_t reads_requested = 0;
  uint64_t reads_served = 0;
  uint64_t transfers_requested = 0;
  uint64_t conf_changes_proposed = 0;
  uint64_t snapshots_installed = 0;
  uint64_t compactions = 0;
  uint64_t writes = 0;
  uint64_t writes_lost_in_crash = 0;
  uint64_t decode_errors = 0;
  uint64_t appends_held = 0;  // Lost to HoldAppends.
};

class RaftCluster final : public faults::ClusterControl {
 public:
  // Member i (0-based node id) has Raft id i + 1. Streams are derived from
  // `root`. `checker` must outlive the cluster.
  RaftCluster(Scheduler& scheduler, const env::Random& root,
              const RaftClusterOptions& options, properties::RaftChecker& checker);
  ~RaftCluster() override;

  // Starts every member.
  void Start();

  // Client operations, delivered to member `node` as an event of that node
  // (deferred while it is paused, dropped if it crashes).
  void ProposeAt(env::NodeId node, std::string command);
  void ReadAt(env::NodeId node);
  void TransferAt(env::NodeId node, uint64_t target_raft_id);
  // Membership cycle, one step per call on the current leader: a member
  // missing from the configuration is added back as a learner, a learner is
  // promoted, and otherwise a random voter other than the leader is removed.
  // Refusals (a change pending, a learner lagging) are normal.
  void MembershipStepAt(env::NodeId leader, uint64_t random_value);

  // Checks every live member's local invariants and feeds the checker.
  void ObserveAll();

  // The member that currently believes it leads the highest term, or -1.
  int LeaderNode() const;
  // Current term of member `node` (0 if down).
  uint64_t Term(env::NodeId node) const;
  // Every live member that believes it is a leader, ascending.
  std::vector<env::NodeId> LeaderNodes() const;
  // Index of the first applied entry whose command is kLivenessProbe, or 0.
  uint64_t probe_applied_index() const { return probe_applied_index_; }
  static constexpr char kLivenessProbe[] = "liveness-probe";
  // Whether every member in the leader's configuration is up and has applied
  // at least `index` (members removed at the end of the run are exempt).
  bool AllApplied(uint64_t index) const;
  // Last log index of member `node` (0 if down).
  uint64_t LastIndex(env::NodeId node) const;
  // Term of the entry at `index` in member `node`'s log: 0 if the member is
  // down or the entry is compacted or absent.
  uint64_t TermAt(env::NodeId node, uint64_t index) const;
  // Commit index of member `node` (0 if down).
  uint64_t CommitIndex(env::NodeId node) const;

  // The Figure 8 nemesis's lever: while a hold is set, every MSG_APP that
  // `node` sends carrying an entry of term >= `min_term`, and every MSG_APP
  // it sends to a member of `shielded`, is lost at the sender. A new leader's
  // older entries then spread to the unshielded members while its own no-op
  // spreads nowhere. Other messages (heartbeats, votes) pass.
  void HoldAppends(env::NodeId node, uint64_t min_term, std::vector<env::NodeId> shielded);
  void ReleaseAppends();
  // One line per member: role, term, log and commit state, and a leader's
  // view of each follower's progress.
  std::string DescribeMembers() const;
  // Folds every member's applied index and state into `scheduler`'s digest.
  void FoldFinalState();

  int member_count() const { return static_cast<int>(members_.size()); }
  const RaftClusterStats& stats() const { return stats_; }

  // faults::ClusterControl.
  SimNetwork& network() override { return *network_; }
  bool Crash(env::NodeId node) override;
  bool Restart(env::NodeId node) override;
  bool Pause(env::NodeId node, env::DurationNs duration_ns) override;
  bool SetClockDrift(env::NodeId node, int64_t drift_ppb) override;
  bool SetMemoryLimit(env::NodeId node, int64_t limit_bytes) override;
  std::optional<env::NodeId> BusiestLeader() const override;

 private:
  struct Member {
    std::unique_ptr<NodeContext> context;
    std::unique_ptr<SimClock> clock;
    std::unique_ptr<env::Random> random;
    // Durable: survives crashes.
    std::unique_ptr<raft::MemoryLogStorage> disk;
    // Volatile: rebuilt on restart.
    std::unique_ptr<raft::Raft> raft;
    uint64_t state_hash = 0;
    uint64_t applied_index = 0;
    raft::ConfState conf_state;
    bool write_in_flight = false;
    env::TimeNs tick_origin_ns = 0;
    uint64_t ticks_done = 0;
    uint64_t incarnation = 0;
  };

  void StartMember(env::NodeId node);
  void ScheduleTick(env::NodeId node);
  void CatchUpTicks(Member& member);
  void OnMessage(env::NodeId node, absl::string_view bytes);
  void Process(env::NodeId node);
  void CompleteWrite(env::NodeId node, raft::Ready ready);
  void Apply(Member& member, const raft::Entry& entry);
  void MaybeCompact(Member& member);
  void SendMessage(env::NodeId node, const raft::Message& message);
  std::string EncodeSnapshot(uint64_t state_hash) const;
  static uint64_t DecodeSnapshot(const std::string& data);
  raft::Config MemberConfig(uint64_t raft_id) const;

  Scheduler& scheduler_;
  RaftClusterOptions options_;
  properties::RaftChecker& checker_;
  std::vector<Member> members_;
  std::unique_ptr<SimNetwork> network_;
  RaftClusterStats stats_;
  uint64_t next_read_id_ = 1;
  uint64_t probe_applied_index_ = 0;
  struct AppendHold {
    env::NodeId node;
    uint64_t min_term;
    std::vector<env::NodeId> shielded;
  };
  std::optional<AppendHold> append_hold_;
  static bool IsHeld(const AppendHold& hold, env::NodeId to, const raft::Message& append);
};

}  // namespace kv::sim
