// FindScenarioProblem: what a scenario must satisfy before the simulator may
// run it. The simulator checks its own preconditions with KV_CHECK (a failed
// check aborts), so everything a file can say is checked here first.

#include <set>

#include "absl/strings/str_cat.h"
#include "node/kv/cluster_config.h"
#include "node/kv/kv_bugs.h"
#include "raft/config.h"
#include "sim/scenario/scenario_file.h"

namespace kv::scenario {
namespace {

using env::kMillisecond;
using faults::FaultEvent;
using faults::FaultKind;

constexpr int64_t kMaxMs = 3'600'000;  // One hour: longer than any sensible run.
constexpr int64_t kMaxDriftPpb = 10'000'000;
constexpr uint32_t kMillion = 1'000'000;

// Collects the first problem; later checks are skipped once one is found.
class Checker {
 public:
  bool ok() const { return !problem_.has_value(); }
  std::optional<ScenarioProblem> problem() const { return problem_; }

  // Records `message` at `path` unless `condition` holds. Returns `condition`.
  bool Expect(bool condition, const std::string& path, const std::string& message) {
    if (!condition && ok()) problem_ = ScenarioProblem{path, message};
    return condition;
  }
  void Range(int64_t value, int64_t low, int64_t high, const std::string& path) {
    Expect(value >= low && value <= high, path, RangeMessage({low, high}, value));
  }
  void Range(int64_t value, Bounds bounds, const std::string& path) { Range(value, bounds.low, bounds.high, path); }
  // For uint64 fields, whose values above INT64_MAX must be reported as
  // they are, not wrapped or clamped. Precondition: 0 <= low <= high.
  void RangeUnsigned(uint64_t value, int64_t low, int64_t high, const std::string& path) {
    Expect(value >= static_cast<uint64_t>(low) && value <= static_cast<uint64_t>(high), path,
           RangeMessage({low, high}, value));
  }
  void Ppm(uint32_t value, const std::string& path) { Range(value, 0, kMillion, path); }
  // A duration kept in whole milliseconds in the file: low..high ms.
  void Ms(env::DurationNs value_ns, int64_t low_ms, int64_t high_ms, const std::string& path) {
    if (!Expect(value_ns % kMillisecond == 0, path,
                absl::StrCat("must be whole milliseconds, got ", value_ns, "ns"))) {
      return;
    }
    Range(value_ns / kMillisecond, low_ms, high_ms, path);
  }

 private:
  std::optional<ScenarioProblem> problem_;
};

// A time as a reader of the file wrote it: whole milliseconds as "Nms"
// (at_ms, and every drawn or printed plan), anything finer as "Nns".
std::string TimeText(int64_t ns) {
  return ns % kMillisecond == 0 ? absl::StrCat(ns / kMillisecond, "ms") : absl::StrCat(ns, "ns");
}

bool UsesNode(FaultKind kind) {
  return kind != FaultKind::kPartitionHalves && kind != FaultKind::kPartitionOneWay &&
         kind != FaultKind::kSplitGroups && kind != FaultKind::kHeal && kind != FaultKind::kMajoritiesRing;
}

void CheckEvent(const sim::KvScenario& s, const FaultEvent& e, const std::string& path, Checker& c) {
  c.Expect(e.at_ns >= 0 && e.at_ns < s.fault_phase_ns, path + ".at_ms",
           absl::StrCat("at ", TimeText(e.at_ns), " is outside the fault phase [0, ",
                        TimeText(s.fault_phase_ns), ")"));
  const int kind = static_cast<int>(e.kind);
  if (!c.Expect(kind >= 0 && kind < faults::kFaultKindCount, path + ".kind", absl::StrCat("unknown kind ", kind))) {
    return;
  }
  const std::string name = faults::FaultKindName(e.kind);
  const bool partition = faults::IsPartitionKind(e.kind);
  std::set<env::NodeId> seen;
  auto check_group = [&](const std::vector<env::NodeId>& group, const char* field) {
    if (!c.Expect(partition || group.empty(), path + "." + field, absl::StrCat("a ", name, " event takes no ", field))) {
      return;
    }
    for (env::NodeId id : group) {
      c.Expect(id < static_cast<env::NodeId>(s.servers), path + "." + field,
               absl::StrCat("node ", id, " is not a server (0..", s.servers - 1, ")"));
      c.Expect(seen.insert(id).second, path + "." + field, absl::StrCat("node ", id, " appears twice in the event"));
    }
  };
  check_group(e.group_a, "group_a");
  check_group(e.group_b, "group_b");
  c.Expect(e.kind == FaultKind::kSplitGroups || e.group_c.empty(), path + ".group_c",
           absl::StrCat("a ", name, " event takes no group_c"));
  check_group(e.group_c, "group_c");
  if (e.kind == FaultKind::kPartitionHalves || e.kind == FaultKind::kPartitionOneWay) {
    c.Expect(!e.group_a.empty(), path + ".group_a", "must not be empty");
    c.Expect(!e.group_b.empty(), path + ".group_b", "must not be empty");
  }
  if (UsesNode(e.kind)) {
    c.Expect(e.node < static_cast<env::NodeId>(s.servers), path + ".node",
             absl::StrCat("node ", e.node, " is not a server (0..", s.servers - 1, ")"));
    if (e.kind == FaultKind::kBridge) {
      c.Expect(seen.count(e.node) == 0, path + ".node", "the middle node must not be in group_a or group_b");
    }
  } else {
    c.Expect(e.node == 0, path + ".node", absl::StrCat("a ", name, " event takes no node"));
  }
  if (e.kind == FaultKind::kPause) {
    c.Ms(e.duration_ns, 1, kMaxMs, path + ".duration_ms");
  } else {
    c.Expect(e.duration_ns == 0, path + ".duration_ms", absl::StrCat("a ", name, " event takes no duration"));
  }
  if (e.kind == FaultKind::kClockDrift) {
    c.Range(e.value, -kMaxDriftPpb, kMaxDriftPpb, path + ".value");
  } else if (e.kind == FaultKind::kMemoryPressure || e.kind == FaultKind::kMemoryRelief) {
    c.Range(e.value, 1, int64_t{1} << 40, path + ".value");
  } else {
    c.Expect(e.value == 0, path + ".value", absl::StrCat("a ", name, " event takes no value"));
  }
}

void CheckFaults(const sim::KvScenario& s, Checker& c) {
  const sim::LinkProfile& l = s.plan.link;
  c.Range(l.latency_base_ns, 0, 10 * env::kSecond, "faults.link.latency_base_ns");
  c.Range(l.latency_jitter_ns, 0, 10 * env::kSecond, "faults.link.latency_jitter_ns");
  c.Ppm(l.tail_ppm, "faults.link.tail_ppm");
  c.Ms(l.tail_mean_ns, 1, 60'000, "faults.link.tail_mean_ms");
  c.Ppm(l.loss_ppm, "faults.link.loss_ppm");
  c.Ppm(l.duplicate_ppm, "faults.link.duplicate_ppm");
  c.Ppm(l.reorder_ppm, "faults.link.reorder_ppm");
  c.Ms(l.reorder_delay_max_ns, 0, 60'000, "faults.link.reorder_delay_max_ms");
  const size_t servers = static_cast<size_t>(s.servers);
  const size_t offsets = s.plan.clock_offset_ns.size(), drifts = s.plan.clock_drift_ppb.size();
  c.Expect(offsets == servers && drifts == servers, "faults.clocks",
           absl::StrCat("wants one entry per server (", servers, "), got ", std::max(offsets, drifts)));
  for (size_t i = 0; i < offsets && c.ok(); ++i) {
    const std::string path = absl::StrCat("faults.clocks[", i, "]");
    c.Ms(s.plan.clock_offset_ns[i], 0, 100'000'000, path + ".offset_ms");
  }
  for (size_t i = 0; i < drifts && c.ok(); ++i) {
    c.Range(s.plan.clock_drift_ppb[i], -kMaxDriftPpb, kMaxDriftPpb, absl::StrCat("faults.clocks[", i, "].drift_ppb"));
  }
  // A bound on the run's cost (and on the file FormatScenario writes, which
  // ReadScenarioFile must be able to read back).
  c.Expect(s.plan.events.size() <= kMaxFaultEvents, "faults.events", TooManyEventsMessage(s.plan.events.size()));
  for (size_t i = 0; i < s.plan.events.size() && c.ok(); ++i) {
    const std::string path = absl::StrCat("faults.events[", i, "]");
    CheckEvent(s, s.plan.events[i], path, c);
    if (i > 0) {
      c.Expect(s.plan.events[i - 1].at_ns <= s.plan.events[i].at_ns, path + ".at_ms",
               absl::StrCat("events must be in time order: this one (", s.plan.events[i].at_ns,
                            "ns) comes before the previous one (", s.plan.events[i - 1].at_ns, "ns)"));
    }
  }
  const storage::SimDiskFaults& d = s.disk_faults;
  c.Ppm(d.write_error_ppm, "faults.disk.write_error_ppm");
  c.Ppm(d.disk_full_ppm, "faults.disk.disk_full_ppm");
  c.Ppm(d.sync_failure_ppm, "faults.disk.sync_failure_ppm");
  c.Ppm(d.read_corruption_ppm, "faults.disk.read_corruption_ppm");
  c.Ppm(d.latency_spike_ppm, "faults.disk.latency_spike_ppm");
  c.Ppm(d.torn_write_ppm, "faults.disk.torn_write_ppm");
}

void CheckBugs(const sim::KvScenario& s, Checker& c) {
  uint32_t known_raft = 0;
  for (raft::RaftBugs bug : raft::kAllRaftBugs) known_raft |= bug;
  c.Expect((s.raft_bugs & ~known_raft) == 0, "bugs", absl::StrCat("unknown Raft bug bits ", s.raft_bugs & ~known_raft));
  for (int bit = 0; bit < 32; ++bit) {
    const uint32_t bug = 1u << bit;
    if ((s.kv_bugs & bug) == 0) continue;
    c.Expect(std::string(node::KvBugName(static_cast<node::KvBugs>(bug))) != "none", "bugs",
             absl::StrCat("unknown KV bug bit ", bit));
  }
}

}  // namespace

std::optional<ScenarioProblem> FindScenarioProblem(const sim::KvScenario& s) {
  Checker c;
  c.Range(s.servers, kServersBounds, "cluster.servers");
  c.Range(s.shards, kShardsBounds, "cluster.shards");
  c.Range(s.replication_factor, kReplicationFactorBounds, "cluster.replication_factor");
  c.Expect(s.replication_factor <= s.servers, "cluster.replication_factor",
           absl::StrCat("replication factor ", s.replication_factor, " exceeds the ", s.servers, " servers"));
  if (c.ok()) {
    const absl::StatusOr<node::Cluster> layout =
        node::Cluster::Create(node::Cluster::MakeLayout(s.servers, s.shards, s.replication_factor));
    c.Expect(layout.ok(), "cluster", absl::StrCat("no valid layout: ", layout.status().message()));
  }
  c.RangeUnsigned(s.compact_threshold_entries, 1, 1'000'000'000, "cluster.compact_threshold_entries");
  c.Range(s.memory_limit_bytes, 1 << 20, int64_t{1} << 40, "cluster.memory_limit_bytes");
  c.Range(s.clients, kClientsBounds, "workload.clients");
  const sim::KvWorkloadOptions& w = s.workload;
  c.Range(w.keys_per_client, kKeysPerClientBounds, "workload.keys_per_client");
  c.Ms(w.think_mean_ns, 1, 60'000, "workload.think_mean_ms");
  // The workload draws each write's padding as Uniform(value_bytes_max),
  // which needs a bound of at least 1 (drawn scenarios use 64).
  c.Range(w.value_bytes_max, 1, 65'536, "workload.value_bytes_max");
  c.Range(w.get_percent, 0, 100, "workload.get_percent");
  c.Range(w.delete_percent, 0, 100, "workload.delete_percent");
  c.Range(w.cas_percent, 0, 100, "workload.cas_percent");
  c.Expect(w.get_percent + w.delete_percent + w.cas_percent <= 100, "workload.cas_percent",
           absl::StrCat("get + delete + cas percent is ", w.get_percent + w.delete_percent + w.cas_percent,
                        ", more than 100"));
  c.Ms(s.fault_phase_ns, 1, kMaxMs, "phases.fault_phase_ms");
  c.Ms(s.liveness_window_ns, 1, kMaxMs, "phases.liveness_window_ms");
  c.Expect(s.max_events >= 1000 && s.max_events <= 10'000'000'000ULL, "max_events",
           absl::StrCat("must be 1000..10000000000, got ", s.max_events));
  if (c.ok()) CheckFaults(s, c);
  CheckBugs(s, c);
  c.Expect(s.buggify == env::Buggify::Mode::kSeeded || s.buggify == env::Buggify::Mode::kAll ||
               s.buggify == env::Buggify::Mode::kOff,
           "buggify", absl::StrCat("unknown mode ", static_cast<int>(s.buggify)));
  return c.problem();
}

absl::Status ValidateScenario(const sim::KvScenario& scenario) {
  const std::optional<ScenarioProblem> problem = FindScenarioProblem(scenario);
  if (!problem.has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(problem->path, ": ", problem->message));
}

}  // namespace kv::scenario
