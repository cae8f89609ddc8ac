#include "sim/cluster/pingack_scenario.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "faults/fault_injector.h"
#include "faults/fault_plan.h"
#include "properties/pingack_checker.h"
#include "sim/cluster/pingack_cluster.h"

namespace kv::sim {
namespace {

using env::kMillisecond;

// Stream ids under the run's root generator. Fixed forever: changing one
// changes every recorded seed's run.
constexpr uint64_t kScenarioStream = 1;
constexpr uint64_t kFaultStream = 2;
constexpr uint64_t kClusterStream = 3;

constexpr int64_t kMemoryLimitBytes = 1 << 20;
constexpr env::DurationNs kLivenessStepNs = 50 * kMillisecond;

std::string Summary(const NetworkStats& n, const pingack::PingAckStats& p) {
  return absl::StrCat(
      "network: sent=", n.sent, " delivered=", n.delivered, " lost=", n.lost,
      " dropped_partition=", n.dropped_partition, " dropped_down=", n.dropped_down,
      " duplicated=", n.duplicated, " reordered=", n.reordered, " tail_delayed=", n.tail_delayed,
      "\nprotocol: issued=", p.issued, " acked=", p.acked, " retries=", p.retries,
      " processed=", p.processed, " duplicates_suppressed=", p.duplicates_suppressed,
      " stale_acks=", p.stale_acks, " decode_errors=", p.decode_errors,
      " budget_refusals=", p.budget_refusals, "\n");
}

}  // namespace

ScenarioResult RunPingAckScenario(const ScenarioOptions& options) {
  ScenarioResult result;
  const env::Random root(options.seed);
  env::Random scenario_random = root.Derive(kScenarioStream);
  env::Random fault_random = root.Derive(kFaultStream);

  PingAckClusterOptions cluster;
  cluster.node_count = options.node_count > 0
                           ? options.node_count
                           : static_cast<int>(scenario_random.UniformRange(3, 7));
  cluster.memory_limit_bytes = kMemoryLimitBytes;
  cluster.protocol.request_interval_ns = scenario_random.UniformRange(2, 50) * kMillisecond;
  cluster.protocol.retry_initial_ns = scenario_random.UniformRange(2, 20) * kMillisecond;
  cluster.protocol.retry_max_ns = cluster.protocol.retry_initial_ns * 16;
  cluster.protocol.bug_skip_dedup = options.bug_skip_dedup;

  const faults::FaultPlan plan = faults::DrawFaultPlan(fault_random, cluster.node_count,
                                                       options.fault_phase_ns, kMemoryLimitBytes);
  if (options.faults) {
    cluster.link = plan.link;
    cluster.clock_offset_ns = plan.clock_offset_ns;
    cluster.clock_drift_ppb = plan.clock_drift_ppb;
  } else {
    cluster.link.tail_ppm = 0;
  }

  absl::StrAppend(&result.report, "seed: ", options.seed, "\nscenario: nodes=", cluster.node_count,
                  " request_interval=", cluster.protocol.request_interval_ns / kMillisecond,
                  "ms retry=", cluster.protocol.retry_initial_ns / kMillisecond, "..",
                  cluster.protocol.retry_max_ns / kMillisecond, "ms fault_phase=",
                  options.fault_phase_ns / kMillisecond, "ms liveness_window=",
                  options.liveness_window_ns / kMillisecond, "ms",
                  options.bug_skip_dedup ? " bug=skip-dedup" : "", "\n",
                  options.faults ? plan.ToString() : "faults: off\n");

  Scheduler scheduler;
  properties::PingAckChecker checker(cluster.node_count);
  PingAckCluster sim_cluster(scheduler, root.Derive(kClusterStream), cluster, checker);
  faults::FaultInjector injector(scheduler, sim_cluster, plan);
  // Safety is checked after every event; the first violation stops the run.
  scheduler.SetAfterEventHook([&] {
    if (!checker.ok()) scheduler.Stop();
  });

  uint64_t max_events = options.max_events;
  if (max_events == 0) {
    const uint64_t seconds = static_cast<uint64_t>(options.fault_phase_ns + options.liveness_window_ns +
                                                   env::kSecond - 1) / env::kSecond;
    max_events = std::max<uint64_t>(2'000'000, 5'000 * seconds * static_cast<uint64_t>(cluster.node_count));
  }
  scheduler.SetEventLimit(max_events);
  sim_cluster.Start();
  if (options.faults) injector.Arm();
  scheduler.RunUntil(options.fault_phase_ns);

  // Liveness phase.
  bool live = false;
  env::TimeNs drained_at_ns = 0;
  if (!scheduler.stopped()) {
    injector.HealEverything(kMemoryLimitBytes);
    sim_cluster.StopIssuing();
    const env::TimeNs deadline_ns = options.fault_phase_ns + options.liveness_window_ns;
    while (!scheduler.stopped() && scheduler.now_ns() < deadline_ns) {
      if (sim_cluster.outstanding_count() == 0) {
        live = true;
        drained_at_ns = scheduler.now_ns();
        break;
      }
      scheduler.RunUntil(std::min(deadline_ns, scheduler.now_ns() + kLivenessStepNs));
    }
    if (!live && sim_cluster.outstanding_count() == 0) {
      live = true;
      drained_at_ns = scheduler.now_ns();
    }
  }

  for (const std::string& violation : checker.violations()) {
    result.failures.push_back(absl::StrCat("safety ", violation, " (at t=",
                                           scheduler.now_ns() / kMillisecond, "ms, event ",
                                           scheduler.events_processed(), ")"));
  }
  const bool out_of_budget = checker.ok() && scheduler.stopped();  // Only a violation stops it otherwise.
  if (out_of_budget) {
    result.failures.push_back(absl::StrCat("event budget: stopped after ", scheduler.events_processed(),
                                           " events at t=", scheduler.now_ns() / kMillisecond,
                                           "ms (a livelock or an event storm; raise --max-events to see more)"));
  } else if (checker.ok() && !live) {
    result.failures.push_back(absl::StrCat("liveness: ", sim_cluster.outstanding_count(),
                                           " requests still unacknowledged ",
                                           options.liveness_window_ns / kMillisecond,
                                           "ms after healing"));
  }
  result.ok = result.failures.empty();

  const pingack::PingAckStats stats = sim_cluster.TotalStats();
  absl::StrAppend(&result.report, Summary(sim_cluster.network().stats(), stats));
  if (options.faults) {
    absl::StrAppend(&result.report, "faults fired: ", injector.FiredToString(), "\n");
    const std::string never = injector.NeverFiredToString();
    if (!never.empty()) absl::StrAppend(&result.report, "faults planned but never fired: ", never, "\n");
  }
  absl::StrAppend(&result.report, "checks: exactly-once ",
                  checker.ok() ? "ok" : "FAILED", ", no-phantom-ack ", checker.ok() ? "ok" : "FAILED",
                  ", liveness ",
                  live ? absl::StrCat("ok (drained ", (drained_at_ns - options.fault_phase_ns) / kMillisecond,
                                      "ms after healing)")
                  : out_of_budget ? "not checked (the event budget stopped the run)"
                                  : "FAILED",
                  "\n");
  for (const std::string& failure : result.failures) absl::StrAppend(&result.report, "FAILURE: ", failure, "\n");

  // Fold the outcome in too, so that a changed verdict changes the digest.
  scheduler.FoldDigest(stats.issued);
  scheduler.FoldDigest(stats.acked);
  scheduler.FoldDigest(result.ok);
  result.digest = scheduler.digest();
  result.events = scheduler.events_processed();
  result.simulated_ns = scheduler.now_ns();
  absl::StrAppend(&result.report, "events: ", result.events, " simulated: ",
                  result.simulated_ns / kMillisecond, "ms\n");
  return result;
}

}  // namespace kv::sim
