#include "sim/cluster/kv_scenario.h"

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "faults/fault_injector.h"
#include "faults/fault_plan.h"
#include "node/kv/shard_snapshot_codec.h"
#include "properties/kv_history.h"
#include "properties/linearizability/linearizability_checker.h"
#include "sim/cluster/kv_cluster.h"
#include "sim/cluster/kv_trace_describer.h"
#include "sim/cluster/kv_trace_observer.h"
#include "sim/cluster/kv_workload.h"
#include "sim/trace/tracer.h"
#include "storage/sim_disk_fault_kinds.h"

namespace kv::sim {
namespace {

using env::kMillisecond;

constexpr uint64_t kScenarioStream = 1;
constexpr uint64_t kFaultStream = 2;
constexpr uint64_t kClusterStream = 3;
constexpr uint64_t kDiskFaultStream = 4;
constexpr uint64_t kBuggifyStream = 5;
constexpr int64_t kMemoryLimitBytes = 64 << 20;
constexpr env::DurationNs kStepNs = 50 * kMillisecond;

// Why the cluster has not converged yet, or "" if it has: every server up
// and healthy, every shard with exactly one leader, and all replicas of a
// shard at the same applied index.
std::string ConvergenceProblem(KvCluster& cluster) {
  for (int i = 0; i < cluster.server_count(); ++i) {
    if (cluster.server(i) == nullptr) return absl::StrCat("node ", i, " is down");
    if (cluster.server(i)->failed()) return absl::StrCat("node ", i, " hit a storage error");
  }
  for (uint64_t shard : cluster.cluster().shard_ids()) {
    std::string leaders, applied;
    int leader_count = 0;
    bool same = true;
    uint64_t first_applied = 0;
    bool first = true;
    for (uint32_t r : cluster.cluster().Replicas(shard)) {
      const node::ShardReplica& replica = *cluster.server(r)->replicas().at(shard);
      if (replica.is_leader()) {
        ++leader_count;
        absl::StrAppend(&leaders, " ", r);
      }
      absl::StrAppend(&applied, " n", r, "=", replica.applied_index(), "(t", replica.raft().term(),
                      " first=", replica.raft().log().FirstIndex(), " last=", replica.raft().log().LastIndex(),
                      " lead=", replica.raft().leader_id(), replica.ready_in_flight() ? " ready-in-flight" : "", ")");
      if (replica.is_leader()) {
        for (const auto& [id, p] : replica.raft().tracker().progress()) {
          absl::StrAppend(&applied, " [p", id - 1, " match=", p.match, " next=", p.next, " state=",
                          static_cast<int>(p.state), " paused=", p.IsPaused(), "]");
        }
      }
      if (!first && replica.applied_index() != first_applied) same = false;
      first_applied = replica.applied_index();
      first = false;
    }
    if (leader_count != 1 || !same) {
      return absl::StrCat("shard ", shard, ": leaders [", leaders, " ], applied", applied);
    }
  }
  return "";
}

// Compares every shard's replicas and collects the final values of user keys.
void CheckReplicas(KvCluster& cluster, std::map<std::string, std::optional<std::string>>& final_values,
                   std::vector<std::string>& failures) {
  for (uint64_t shard : cluster.cluster().shard_ids()) {
    std::optional<storage::ShardImage> reference;
    uint32_t reference_node = 0;
    for (uint32_t r : cluster.cluster().Replicas(shard)) {
      absl::StatusOr<std::string> data = node::EncodeShardSnapshot(*cluster.state_storage(r), shard);
      absl::StatusOr<storage::ShardImage> image =
          data.ok() ? node::DecodeShardSnapshot(*data) : absl::StatusOr<storage::ShardImage>(data.status());
      if (!image.ok()) {
        failures.push_back(absl::StrCat("convergence: shard ", shard, " on node ", r,
                                        " cannot be read: ", image.status().ToString()));
        continue;
      }
      if (!reference.has_value()) {
        reference = *std::move(image);
        reference_node = r;
      } else if (image->pairs != reference->pairs || image->applied_index != reference->applied_index) {
        failures.push_back(absl::StrCat("convergence: shard ", shard, " differs between nodes ",
                                        reference_node, " and ", r, " (", reference->pairs.size(), " vs ",
                                        image->pairs.size(), " pairs, applied ", reference->applied_index,
                                        " vs ", image->applied_index, ")"));
      }
    }
    if (!reference.has_value()) continue;
    for (const storage::KeyValue& kv : reference->pairs) {
      if (!kv.key.empty() && kv.key[0] == 'd') final_values[kv.key.substr(1)] = kv.value;
    }
  }
}

}  // namespace

uint64_t DefaultKvMaxEvents(const KvScenarioOptions& options) {
  constexpr uint64_t kFloor = 2'000'000;
  constexpr uint64_t kPerClientSecond = 5'000;
  constexpr uint64_t kPerShardReplicaSecond = 500;
  // Whole seconds, rounded up; the flags bound every term, so no overflow.
  const uint64_t seconds =
      static_cast<uint64_t>(options.fault_phase_ns + options.liveness_window_ns + env::kSecond - 1) / env::kSecond;
  const uint64_t per_second =
      kPerClientSecond * static_cast<uint64_t>(options.clients) +
      kPerShardReplicaSecond * static_cast<uint64_t>(options.shards) * static_cast<uint64_t>(options.replication_factor);
  // Capped at what a scenario file accepts, so that a printed scenario
  // reads back.
  constexpr uint64_t kCeiling = 10'000'000'000;
  return std::min(kCeiling, std::max(kFloor, seconds * per_second));
}

KvScenario DrawKvScenario(const KvScenarioOptions& options) {
  KvScenario scenario;
  scenario.seed = options.seed;
  scenario.servers = options.servers;
  scenario.shards = options.shards;
  scenario.replication_factor = options.replication_factor;
  scenario.clients = options.clients;
  scenario.memory_limit_bytes = kMemoryLimitBytes;
  scenario.fault_phase_ns = options.fault_phase_ns;
  scenario.liveness_window_ns = options.liveness_window_ns;
  scenario.max_events = options.max_events != 0 ? options.max_events : DefaultKvMaxEvents(options);
  scenario.raft_bugs = options.raft_bugs;
  scenario.kv_bugs = options.kv_bugs;
  scenario.trail = options.trail;
  scenario.trace_sink = options.trace_sink;
  scenario.trace_command = options.trace_command;
  scenario.buggify = options.faults ? options.buggify : env::Buggify::Mode::kOff;
  const env::Random root(options.seed);
  env::Random scenario_random = root.Derive(kScenarioStream);
  env::Random fault_random = root.Derive(kFaultStream);
  env::Random disk_random = root.Derive(kDiskFaultStream);
  scenario.compact_threshold_entries = static_cast<uint64_t>(scenario_random.UniformRange(20, 500));
  scenario.workload.think_mean_ns = scenario_random.UniformRange(1, 20) * kMillisecond;
  if (options.faults) {
    scenario.plan = faults::DrawFaultPlan(fault_random, options.servers, options.fault_phase_ns, kMemoryLimitBytes);
    if (disk_random.Chance(1, 2)) scenario.disk_faults = storage::SimDiskFaults::Draw(disk_random);
  } else {
    scenario.plan.link.tail_ppm = 0;
    scenario.plan.clock_offset_ns.assign(options.servers, 0);
    scenario.plan.clock_drift_ppb.assign(options.servers, 0);
  }
  return scenario;
}

KvScenarioResult RunKvScenario(const KvScenarioOptions& options) { return RunKvScenario(DrawKvScenario(options)); }

std::string KvFailureCategory(const std::string& failure) {
  static constexpr const char* kCategories[] = {"linearizable-read", "linearizability", "durability",
                                                "convergence",       "liveness",        "event budget",
                                                "start"};
  for (const char* category : kCategories) {
    const std::string prefix = absl::StrCat(category, ":");
    if (failure.compare(0, prefix.size(), prefix) == 0) {
      std::string name = category;
      for (char& c : name) {
        if (c == ' ') c = '-';
      }
      return name;
    }
  }
  return "other";
}

KvScenarioResult RunKvScenario(const KvScenario& scenario) {
  KvScenarioResult result;
  // Declared first so that it outlives every generator derived from root.
  // Only the run's own draws are tallied, not those that drew the scenario,
  // so that a scenario read from a file gives the seed's digest.
  env::DrawTally draw_tally;
  env::Random root(scenario.seed);
  root.TallyDrawsInto(&draw_tally);
  env::Buggify buggify(root.Derive(kBuggifyStream), scenario.buggify);
  const faults::FaultPlan& plan = scenario.plan;
  const int64_t memory_limit_bytes = scenario.memory_limit_bytes;

  KvClusterOptions cluster_options;
  cluster_options.servers = scenario.servers;
  cluster_options.shards = scenario.shards;
  cluster_options.replication_factor = scenario.replication_factor;
  cluster_options.clients = scenario.clients;
  cluster_options.memory_limit_bytes = memory_limit_bytes;
  cluster_options.node.raft_bugs = scenario.raft_bugs;
  cluster_options.node.kv_bugs = scenario.kv_bugs;
  cluster_options.buggify = &buggify;
  cluster_options.node.compact_threshold_entries = scenario.compact_threshold_entries;
  cluster_options.link = plan.link;
  cluster_options.clock_offset_ns = plan.clock_offset_ns;
  cluster_options.clock_drift_ppb = plan.clock_drift_ppb;
  cluster_options.disk_faults = scenario.disk_faults;
  const KvWorkloadOptions& workload_options = scenario.workload;

  const storage::SimDiskFaults& d = cluster_options.disk_faults;
  absl::StrAppend(&result.report, "seed: ", scenario.seed, "\nscenario: kv servers=", scenario.servers,
                  " shards=", scenario.shards, " replication=", scenario.replication_factor,
                  " clients=", scenario.clients, " think=", workload_options.think_mean_ns / kMillisecond,
                  "ms compact_every=", scenario.compact_threshold_entries,
                  " fault_phase=", scenario.fault_phase_ns / kMillisecond, "ms\n", plan.ToString(),
                  "disk faults ppm: ", storage::SimDiskFaultRatesToString(d), "\n");

  Scheduler scheduler;
  scheduler.RecordTrail(scenario.trail, &draw_tally);
  // Tracing (kvsim replay): attached before the cluster is built so that
  // its first events are seen too.
  std::unique_ptr<trace::Tracer> tracer;
  KvTraceDescriber describer;
  if (scenario.trace_sink != nullptr) {
    tracer = std::make_unique<trace::Tracer>(scheduler, *scenario.trace_sink);
    tracer->SetDescriber([&describer](int from, int to, absl::string_view bytes) {
      return describer.Describe(from, to, bytes);
    });
    trace::TraceLayout layout;
    layout.seed = scenario.seed;
    layout.servers = scenario.servers;
    layout.clients = scenario.clients;
    for (int s = 1; s <= scenario.shards; ++s) layout.shard_ids.push_back(static_cast<uint64_t>(s));
    layout.command = scenario.trace_command;
    scenario.trace_sink->Begin(layout);
    scheduler.set_tracer(tracer.get());
  }
  KvCluster cluster(scheduler, root.Derive(kClusterStream), cluster_options);
  std::unique_ptr<KvTraceObserver> observer;
  if (tracer != nullptr) observer = std::make_unique<KvTraceObserver>(cluster, *tracer);
  properties::KvHistory history;
  const std::vector<properties::Operation>& operations = history.operations();
  // Room for the operations the clients can issue if each waits its mean
  // think time plus a millisecond per operation, and a quarter more,
  // capped at a million: a list grown by appending moves every record at
  // each doubling. The estimate alone fell about 1% short on the heavy
  // seeds (seed 2 issues 144,074 operations in a 20 s fault phase against
  // 142,900 estimated; replies can come faster than in a millisecond), and
  // the one doubling then copied every record. The reservation is only
  // address space until records are written, so the margin costs little.
  const env::DurationNs cycle_ns = workload_options.think_mean_ns + kMillisecond;
  const int64_t estimated_operations =
      scenario.clients * (scenario.fault_phase_ns / std::max<env::DurationNs>(cycle_ns, 1) + 1);
  const size_t expected_operations =
      static_cast<size_t>(std::min<int64_t>(int64_t{1} << 20, estimated_operations + estimated_operations / 4));
  history.ReserveOperations(expected_operations);
  // The history's reads likewise: the GETs among those operations (and the
  // rare CAS that found another value); and each key's writes, the rest of
  // them spread over the clients' keys (every key has one writer).
  history.ReserveReads(expected_operations * workload_options.get_percent / 100);
  const size_t keys = static_cast<size_t>(scenario.clients) * static_cast<size_t>(workload_options.keys_per_client);
  history.ReserveWritesPerKey(expected_operations * (100 - workload_options.get_percent) / 100 /
                              std::max<size_t>(keys, 1));
  std::vector<std::unique_ptr<KvWorkload>> workloads;
  faults::FaultInjector injector(scheduler, cluster, plan);
  if (absl::Status s = cluster.Start(); !s.ok()) {
    result.ok = false;
    result.failures.push_back(absl::StrCat("start: ", s.ToString()));
    result.report += "FAILURE: " + result.failures.back() + "\n";
    return result;
  }
  if (observer != nullptr) observer->Observe();  // The roles everyone starts in.
  const KvKeyNames key_names(scenario.clients, workload_options.keys_per_client);
  for (int c = 0; c < scenario.clients; ++c) {
    workloads.push_back(std::make_unique<KvWorkload>(cluster.client(c), cluster.client_env(c), c, key_names,
                                                     workload_options, history));
    if (tracer != nullptr) workloads.back()->SetTracer(tracer.get(), &cluster.cluster(), scenario.servers + c);
    workloads.back()->Start();
  }
  injector.Arm();
  // The event budget is the scheduler's own limit, and the hook is set only
  // for a traced run's observer: an untraced run calls no hook per event.
  scheduler.SetEventLimit(scenario.max_events);
  if (observer != nullptr) scheduler.SetAfterEventHook([&] { observer->Observe(); });
  // Fail-stop nodes (storage errors) are restarted, as an operator's
  // supervisor would.
  for (env::TimeNs t = kStepNs; t <= scenario.fault_phase_ns && !scheduler.stopped(); t += kStepNs) {
    scheduler.RunUntil(t);
    cluster.RestartFailedServers();
  }

  // Liveness phase. Disk faults end first, so that the restarts that heal
  // crashed nodes do not trip over a transient fault again.
  cluster.SetDiskFaults(false);
  buggify.Disable();
  injector.HealEverything(memory_limit_bytes);
  cluster.RestartFailedServers();
  for (auto& w : workloads) w->Stop();
  const env::TimeNs deadline = scenario.fault_phase_ns + scenario.liveness_window_ns;
  bool converged = false;
  env::TimeNs converged_at = 0;
  while (scheduler.now_ns() < deadline && !scheduler.stopped()) {
    bool idle = true;
    for (auto& w : workloads) idle = idle && w->idle();
    if (idle && ConvergenceProblem(cluster).empty()) {
      converged = true;
      converged_at = scheduler.now_ns();
      break;
    }
    scheduler.RunUntil(scheduler.now_ns() + kStepNs);
    cluster.RestartFailedServers();
  }

  // The checks below read state and schedule nothing; the trace ends here.
  scheduler.set_tracer(nullptr);
  // A client still waiting (the event budget stopped the run, or the
  // liveness window closed first) may have written what some read saw.
  bool clients_idle = true;
  for (auto& w : workloads) {
    clients_idle = clients_idle && w->idle();
    w->AbandonInFlight();
  }

  std::vector<std::string>& failures = result.failures;
  if (scheduler.stopped()) {
    failures.push_back(absl::StrCat("event budget: stopped after ", scheduler.events_processed(),
                                    " events at t=", scheduler.now_ns() / kMillisecond,
                                    "ms (a livelock or an event storm; raise --max-events to see more)"));
  }
  const std::vector<std::string> read_failures = history.CheckReads();
  for (const std::string& f : read_failures) failures.push_back("linearizable-read: " + f);
  // The full check: is there a total order of all operations, consistent
  // with real time, that a register per key would accept?
  std::string linearizability = "not run";
  absl::StatusOr<properties::CheckResult> check =
      properties::CheckLinearizability(operations, history.operation_keys(), properties::CheckOptions{});
  if (!check.ok()) {
    failures.push_back("linearizability: malformed history: " + check.status().ToString());
  } else if (check->verdict == properties::Verdict::kViolation) {
    linearizability = "FAILED";
    failures.push_back("linearizability: " + properties::FormatCheckResult(*check));
  } else {
    linearizability = check->verdict == properties::Verdict::kOk
                          ? absl::StrCat("ok (", operations.size(), " operations, ", check->search_steps, " steps)")
                          : absl::StrCat("unknown (budget spent on key ", check->key, ")");
  }
  // A run the budget stopped never got to judge liveness; the budget's
  // failure above says why.
  if (!converged && !scheduler.stopped()) {
    const std::string problem = ConvergenceProblem(cluster);
    failures.push_back(absl::StrCat("liveness: the cluster did not converge within ",
                                    scenario.liveness_window_ns / kMillisecond, "ms after healing: ",
                                    problem.empty() ? "" : problem, clients_idle ? "" : " (clients still busy)"));
  } else if (converged) {
    std::map<std::string, std::optional<std::string>> final_values;
    CheckReplicas(cluster, final_values, failures);
    for (const std::string& f : history.CheckFinal(final_values)) failures.push_back(f);
  }
  result.ok = failures.empty();

  KvWorkloadStats totals;
  for (auto& w : workloads) {
    totals.ops += w->stats().ops;
    result.max_client_ops = std::max(result.max_client_ops, w->stats().ops);
    result.client_ops += w->stats().ops;
    totals.acknowledged += w->stats().acknowledged;
    totals.indeterminate += w->stats().indeterminate;
    totals.refused += w->stats().refused;
  }
  const NetworkStats& n = cluster.network().stats();
  absl::StrAppend(&result.report, "network: sent=", n.sent, " delivered=", n.delivered, " lost=", n.lost,
                  " dropped_partition=", n.dropped_partition, " dropped_down=", n.dropped_down,
                  " duplicated=", n.duplicated, " reordered=", n.reordered, "\n");
  absl::StrAppend(&result.report, "workload: ops=", totals.ops, " acknowledged=", totals.acknowledged,
                  " indeterminate=", totals.indeterminate, " refused=", totals.refused,
                  " writes=", history.write_count(), " reads=", history.read_count(),
                  " disk_syncs=", cluster.disk_syncs(), " start_failures=", cluster.start_failures(),
                  cluster.start_failures() > 0 ? " (last: " + cluster.last_start_failure() + ")" : "", "\n");
  absl::StrAppend(&result.report, "faults fired: ", injector.FiredToString(), "\n");
  // The disk's faults are drawn as rates, not events: what fired is counted
  // by the disks, and a rate that never fired is as false a green as an
  // event that never did.
  result.disk_fired = cluster.disk_counters();
  const storage::SimDiskCounters& df = result.disk_fired;
  absl::StrAppend(&result.report, "disk faults fired: ", storage::SimDiskFaultsFiredToString(df), "\n");
  std::string never = injector.NeverFiredToString();
  if (const std::string disk_never = storage::SimDiskFaultsNeverFired(d, df); !disk_never.empty()) {
    absl::StrAppend(&never, never.empty() ? "" : " ", disk_never);
  }
  if (!never.empty()) absl::StrAppend(&result.report, "faults planned but never fired: ", never, "\n");
  absl::StrAppend(&result.report, "buggify (", env::Buggify::ModeName(scenario.buggify), "): ", buggify.ToString(),
                  "\n");
  const std::string silent = buggify.OnButNeverFiredToString();
  if (!silent.empty()) absl::StrAppend(&result.report, "buggify sites on but never fired: ", silent, "\n");
  absl::StrAppend(&result.report, "checks: reads ",
                  read_failures.empty() ? "ok" : "FAILED", ", linearizability ", linearizability, ", liveness ",
                  converged ? absl::StrCat("ok (converged ", (converged_at - scenario.fault_phase_ns) / kMillisecond,
                                           "ms after healing)")
                  : scheduler.stopped() ? "not checked (the event budget stopped the run)"
                                        : "FAILED",
                  ", convergence+durability ", converged ? (result.ok ? "ok" : "see failures") : "not checked", "\n");
  for (const std::string& f : failures) absl::StrAppend(&result.report, "FAILURE: ", f, "\n");

  scheduler.FoldDigest(totals.ops);
  scheduler.FoldDigest(totals.acknowledged);
  scheduler.FoldDigest(result.ok);
  result.digest = env::Mix64(scheduler.digest(), draw_tally.digest);
  result.draws = draw_tally.draws;
  result.events = scheduler.events_processed();
  result.simulated_ns = scheduler.now_ns();
  absl::StrAppend(&result.report, "events: ", result.events, " random draws: ", result.draws,
                  " simulated: ", result.simulated_ns / kMillisecond, "ms\n");
  return result;
}

}  // namespace kv::sim
