#include "sim/raft/raft_scenario.h"

#include <fmt/format.h>

#include "faults/fault_injector.h"
#include "faults/fault_plan.h"
#include "properties/raft/raft_checker.h"
#include "raft/config.h"
#include "sim/raft/raft_cluster.h"

namespace kv::sim {
namespace {

using env::kMillisecond;

// Stream ids under the run's root generator. Fixed: changing one changes
// every recorded seed's run.
constexpr uint64_t kScenarioStream = 1;
constexpr uint64_t kFaultStream = 2;
constexpr uint64_t kClusterStream = 3;
constexpr uint64_t kWorkloadStream = 4;

constexpr int64_t kMemoryLimitBytes = 1 << 20;
constexpr uint64_t kWorkloadTag = 0x776f726b;
constexpr env::DurationNs kLivenessStepNs = 20 * kMillisecond;

std::string BugNames(uint32_t bugs) {
  std::string names;
  for (raft::RaftBugs bug : raft::kAllRaftBugs) {
    if ((bugs & bug) == 0) continue;
    if (!names.empty()) names += ",";
    names += raft::RaftBugName(bug);
  }
  return names.empty() ? "none" : names;
}

// Client load during the fault phase: proposals and reads at seeded
// intervals, mostly to the member that believes it leads, and now and then a
// leadership transfer.
class Workload {
 public:
  Workload(Scheduler& scheduler, RaftCluster& cluster, env::Random random,
           env::DurationNs end_ns)
      : scheduler_(scheduler), cluster_(cluster), random_(random), end_ns_(end_ns) {
    propose_interval_ns_ = random_.UniformRange(2, 30) * kMillisecond;
    read_interval_ns_ = random_.UniformRange(5, 50) * kMillisecond;
  }

  void Start() {
    ScheduleProposal();
    ScheduleRead();
  }

  std::string Describe() const {
    return fmt::format("propose_every={}ms read_every={}ms",
                       propose_interval_ns_ / kMillisecond,
                       read_interval_ns_ / kMillisecond);
  }

 private:
  env::NodeId PickTarget() {
    const int leader = cluster_.LeaderNode();
    if (leader >= 0 && random_.Chance(4, 5)) return static_cast<env::NodeId>(leader);
    return static_cast<env::NodeId>(random_.Uniform(cluster_.member_count()));
  }

  void ScheduleProposal() {
    scheduler_.After(propose_interval_ns_, kWorkloadTag, [this] {
      if (scheduler_.now_ns() >= end_ns_) return;
      const env::NodeId target = PickTarget();
      cluster_.ProposeAt(target, fmt::format("put k{} v{}", random_.Uniform(16), ++sequence_));
      if (random_.Chance(1, 100)) {
        const uint64_t to = 1 + random_.Uniform(cluster_.member_count());
        cluster_.TransferAt(target, to);
      }
      ScheduleProposal();
    });
  }

  void ScheduleRead() {
    scheduler_.After(read_interval_ns_, kWorkloadTag, [this] {
      if (scheduler_.now_ns() >= end_ns_) return;
      cluster_.ReadAt(PickTarget());
      ScheduleRead();
    });
  }

  Scheduler& scheduler_;
  RaftCluster& cluster_;
  env::Random random_;
  env::DurationNs end_ns_;
  env::DurationNs propose_interval_ns_;
  env::DurationNs read_interval_ns_;
  uint64_t sequence_ = 0;
};

}  // namespace

std::string RaftReplayCommand(const RaftScenarioOptions& options) {
  std::string command =
      fmt::format("kvsim raft --seed {} --members {}", options.seed, options.members);
  for (raft::RaftBugs bug : raft::kAllRaftBugs) {
    if ((options.bugs & bug) != 0) command += fmt::format(" --bug {}", raft::RaftBugName(bug));
  }
  return command;
}

RaftScenarioResult RunRaftScenario(const RaftScenarioOptions& options) {
  RaftScenarioResult result;
  const env::Random root(options.seed);
  env::Random scenario_random = root.Derive(kScenarioStream);
  env::Random fault_random = root.Derive(kFaultStream);

  RaftClusterOptions cluster_options;
  cluster_options.members = options.members;
  cluster_options.bugs = options.bugs;
  cluster_options.lease_reads = scenario_random.Chance(1, 2);
  cluster_options.disk_latency_min_ns = scenario_random.UniformRange(50, 500) * env::kMicrosecond;
  cluster_options.disk_latency_max_ns =
      cluster_options.disk_latency_min_ns + scenario_random.UniformRange(0, 5) * kMillisecond;
  cluster_options.compact_threshold_entries = scenario_random.UniformRange(10, 200);
  cluster_options.snapshot_chunk_size_bytes = scenario_random.UniformRange(64, 1024);

  const faults::FaultPlan plan = faults::DrawFaultPlan(fault_random, options.members,
                                                       options.fault_phase_ns, kMemoryLimitBytes);
  cluster_options.link = plan.link;
  cluster_options.clock_offset_ns = plan.clock_offset_ns;
  cluster_options.clock_drift_ppb = plan.clock_drift_ppb;

  Scheduler scheduler;
  properties::RaftChecker checker;
  RaftCluster cluster(scheduler, root.Derive(kClusterStream), cluster_options, checker);
  faults::FaultInjector injector(scheduler, cluster, plan);
  Workload workload(scheduler, cluster, root.Derive(kWorkloadStream), options.fault_phase_ns);

  fmt::format_to(std::back_inserter(result.report),
                 "seed: {}\nscenario: members={} bugs={} reads={} disk={}..{}us "
                 "compact_every={} chunk={}B {}\n{}",
                 options.seed, options.members, BugNames(options.bugs),
                 cluster_options.lease_reads ? "lease" : "read-index",
                 cluster_options.disk_latency_min_ns / env::kMicrosecond,
                 cluster_options.disk_latency_max_ns / env::kMicrosecond,
                 cluster_options.compact_threshold_entries,
                 cluster_options.snapshot_chunk_size_bytes, workload.Describe(),
                 plan.ToString());

  scheduler.SetAfterEventHook([&] {
    cluster.ObserveAll();
    if (!checker.ok()) scheduler.Stop();
  });
  cluster.Start();
  workload.Start();
  injector.Arm();
  scheduler.RunUntil(options.fault_phase_ns);

  // Liveness: after healing, one proposal must reach every member.
  bool live = false;
  uint64_t probe_index = 0;
  if (!scheduler.stopped()) {
    injector.HealEverything(kMemoryLimitBytes);
    const env::TimeNs deadline_ns = options.fault_phase_ns + options.liveness_window_ns;
    while (!scheduler.stopped() && scheduler.now_ns() < deadline_ns) {
      const int leader = cluster.LeaderNode();
      if (probe_index == 0 && leader >= 0) {
        // The probe is the leader's next entry; if that leader is deposed
        // before committing it, the probe moves to the next leader.
        cluster.ProposeAt(static_cast<env::NodeId>(leader), "liveness-probe");
        scheduler.RunUntil(scheduler.now_ns() + 1);
        if (cluster.LeaderNode() == leader) probe_index = cluster.LastIndex(leader);
      }
      if (probe_index != 0 && cluster.AllApplied(probe_index)) {
        live = true;
        break;
      }
      if (probe_index != 0 && cluster.LeaderNode() < 0) probe_index = 0;
      scheduler.RunUntil(std::min(deadline_ns, scheduler.now_ns() + kLivenessStepNs));
    }
  }

  if (!checker.ok()) {
    result.failure = fmt::format("safety: {} (at t={}ms, event {})", checker.first_violation(),
                                 scheduler.now_ns() / kMillisecond, scheduler.events_processed());
  } else if (!live) {
    result.failure = fmt::format("liveness: no proposal reached every member within {}ms of "
                                 "healing (leader node {})",
                                 options.liveness_window_ns / kMillisecond, cluster.LeaderNode());
  }
  result.ok = result.failure.empty();

  const RaftClusterStats& stats = cluster.stats();
  const NetworkStats& network = cluster.network().stats();
  fmt::format_to(std::back_inserter(result.report),
                 "network: sent={} delivered={} lost={} dropped_partition={} "
                 "dropped_down={} duplicated={} reordered={}\n"
                 "raft: proposals_accepted={} refused={} reads={}/{} transfers={} "
                 "snapshots_installed={} compactions={} writes={} lost_in_crash={} "
                 "leaders={} max_commit={}\n"
                 "faults fired: {}\n",
                 network.sent, network.delivered, network.lost, network.dropped_partition,
                 network.dropped_down, network.duplicated, network.reordered,
                 stats.proposals_accepted, stats.proposals_refused, stats.reads_served,
                 stats.reads_requested, stats.transfers_requested, stats.snapshots_installed,
                 stats.compactions, stats.writes, stats.writes_lost_in_crash,
                 checker.leaders_observed(), checker.max_commit_observed(),
                 injector.FiredToString());
  fmt::format_to(std::back_inserter(result.report), "checks: safety {}, liveness {}\n",
                 checker.ok() ? "ok" : "FAILED", live ? "ok" : (checker.ok() ? "FAILED" : "n/a"));
  if (!result.ok) {
    fmt::format_to(std::back_inserter(result.report), "FAILURE: {}\nreplay: {}\n", result.failure,
                   RaftReplayCommand(options));
  }

  cluster.FoldFinalState();
  scheduler.FoldDigest(result.ok);
  result.digest = scheduler.digest();
  result.events = scheduler.events_processed();
  result.simulated_ns = scheduler.now_ns();
  return result;
}

}  // namespace kv::sim
