#include "sim/scenario/shrinker.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/scenario/scenario_file.h"

namespace kv::scenario {
namespace {

using env::kMillisecond;
using faults::FaultEvent;
using faults::FaultKind;

constexpr env::DurationNs kShortestFaultPhaseNs = 100 * kMillisecond;
// The fault phase shrinks in steps of at least this much: finer steps cost
// many runs and make the scenario no easier to read.
constexpr env::DurationNs kFaultPhaseUnitNs = 50 * kMillisecond;

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string Describe(const FaultEvent& e) {
  return absl::StrCat("t=", e.at_ns / kMillisecond, "ms ", faults::FaultKindName(e.kind));
}

// One shrinking session: the current smallest failing scenario and the
// attempt budget.
class Session {
 public:
  Session(const CandidateRunner& run, const ShrinkOptions& options, ShrinkResult& result)
      : run_(run), options_(options), result_(result) {}

  bool budget_left() const { return result_.attempts < options_.max_attempts; }
  const sim::KvScenario& current() const { return result_.scenario; }

  // Runs `candidate` unless it is invalid or the budget is spent; keeps it
  // if it still fails the same check. Returns whether it was kept.
  bool Try(const sim::KvScenario& candidate, const std::string& what) {
    if (!budget_left() || !ValidateScenario(candidate).ok()) return false;
    ++result_.attempts;
    const CandidateOutcome outcome = run_(candidate);
    const bool kept = outcome.failed && Contains(outcome.categories, result_.category);
    std::string verdict;
    if (kept) {
      verdict = absl::StrCat("still fails (", result_.category, ")");
    } else if (outcome.failed) {
      verdict = absl::StrCat("fails differently (", absl::StrJoin(outcome.categories, ", "), "), rejected");
    } else {
      verdict = "passes, rejected";
    }
    Report(absl::StrCat("attempt ", result_.attempts, ": ", what, ": ", verdict));
    if (kept) {
      result_.scenario = candidate;
      result_.outcome = outcome;
      ++result_.accepted;
    }
    return kept;
  }

  // Tries smaller values of one dimension, nearest `low` first: low, then
  // value minus half the distance, a quarter, ... down to one `unit`
  // (integral shrinking as in QuickCheck); repeats from the value kept.
  // Returns whether any was kept.
  bool Reduce(int64_t value, int64_t low, int64_t unit, const std::string& name,
              const std::function<sim::KvScenario(int64_t)>& with) {
    bool any = false;
    while (value > low && budget_left()) {
      std::vector<int64_t> candidates = {low};
      for (int64_t d = (value - low) / 2; d >= unit; d /= 2) candidates.push_back(value - d);
      candidates.push_back(value - unit);
      bool kept = false;
      int64_t previous = -1;
      for (int64_t v : candidates) {
        if (v >= value || v < low || v == previous) continue;
        previous = v;
        if (Try(with(v), absl::StrCat(name, " ", value, " -> ", v))) {
          value = v;
          kept = any = true;
          break;
        }
      }
      if (!kept) break;
    }
    return any;
  }

  void Report(const std::string& line) {
    if (options_.progress) options_.progress(line);
  }

 private:
  const CandidateRunner& run_;
  const ShrinkOptions& options_;
  ShrinkResult& result_;
};

bool ShrinkEvents(Session& session) {
  bool any = false;
  size_t chunk = std::max<size_t>(1, session.current().plan.events.size() / 2);
  while (session.budget_left() && !session.current().plan.events.empty()) {
    for (size_t begin = 0; begin < session.current().plan.events.size() && session.budget_left();) {
      const std::vector<FaultEvent>& events = session.current().plan.events;
      const size_t end = std::min(begin + chunk, events.size());
      const std::string what =
          end - begin == 1
              ? absl::StrCat("removed fault event ", begin, " of ", events.size(), " (", Describe(events[begin]), ")")
              : absl::StrCat("removed fault events ", begin, "..", end - 1, " of ", events.size());
      if (session.Try(WithoutEvents(session.current(), begin, end), what)) {
        any = true;  // The same position now holds the next events.
      } else {
        begin = end;
      }
    }
    if (chunk == 1) break;
    chunk /= 2;
  }
  return any;
}

bool ShrinkServers(Session& session) {
  bool any = false;
  for (int server = session.current().servers - 1; server >= 0 && session.current().servers > 1; --server) {
    if (server >= session.current().servers) continue;
    any |= session.Try(WithoutServer(session.current(), static_cast<env::NodeId>(server)),
                       absl::StrCat("removed server ", server, " of ", session.current().servers));
  }
  return any;
}

// Fault rates that are on, each tried at zero.
bool ZeroRates(Session& session) {
  bool any = false;
  struct Rate {
    const char* name;
    std::function<uint32_t&(sim::KvScenario&)> field;
  };
  const Rate rates[] = {
      {"link loss", [](sim::KvScenario& s) -> uint32_t& { return s.plan.link.loss_ppm; }},
      {"link duplication", [](sim::KvScenario& s) -> uint32_t& { return s.plan.link.duplicate_ppm; }},
      {"link reordering", [](sim::KvScenario& s) -> uint32_t& { return s.plan.link.reorder_ppm; }},
      {"link delay tail", [](sim::KvScenario& s) -> uint32_t& { return s.plan.link.tail_ppm; }},
      {"disk write errors", [](sim::KvScenario& s) -> uint32_t& { return s.disk_faults.write_error_ppm; }},
      {"disk full", [](sim::KvScenario& s) -> uint32_t& { return s.disk_faults.disk_full_ppm; }},
      {"disk sync failures", [](sim::KvScenario& s) -> uint32_t& { return s.disk_faults.sync_failure_ppm; }},
      {"disk read corruption", [](sim::KvScenario& s) -> uint32_t& { return s.disk_faults.read_corruption_ppm; }},
      {"disk latency spikes", [](sim::KvScenario& s) -> uint32_t& { return s.disk_faults.latency_spike_ppm; }},
  };
  for (const Rate& rate : rates) {
    sim::KvScenario candidate = session.current();
    if (rate.field(candidate) == 0) continue;
    rate.field(candidate) = 0;
    any |= session.Try(candidate, absl::StrCat(rate.name, " off"));
  }
  if (session.current().buggify != env::Buggify::Mode::kOff) {
    sim::KvScenario candidate = session.current();
    candidate.buggify = env::Buggify::Mode::kOff;
    any |= session.Try(candidate, "buggify off");
  }
  const std::vector<int64_t>& drift = session.current().plan.clock_drift_ppb;
  if (std::any_of(drift.begin(), drift.end(), [](int64_t d) { return d != 0; })) {
    sim::KvScenario candidate = session.current();
    std::fill(candidate.plan.clock_drift_ppb.begin(), candidate.plan.clock_drift_ppb.end(), 0);
    any |= session.Try(candidate, "initial clock drift off");
  }
  return any;
}

}  // namespace

CandidateOutcome RunCandidateInProcess(const sim::KvScenario& scenario) {
  const sim::KvScenarioResult r = sim::RunKvScenario(scenario);
  CandidateOutcome outcome;
  outcome.failed = !r.ok;
  for (const std::string& f : r.failures) outcome.categories.push_back(sim::KvFailureCategory(f));
  if (!r.failures.empty()) outcome.first_failure = r.failures[0];
  outcome.digest = r.digest;
  outcome.max_client_ops = r.max_client_ops;
  return outcome;
}

sim::KvScenario WithoutEvents(const sim::KvScenario& s, size_t begin, size_t end) {
  sim::KvScenario out = s;
  out.plan.events.erase(out.plan.events.begin() + begin, out.plan.events.begin() + end);
  out.plan.classes = faults::DeriveFaultClasses(out.plan);
  return out;
}

sim::KvScenario WithoutServer(const sim::KvScenario& s, env::NodeId server) {
  sim::KvScenario out = s;
  out.servers = s.servers - 1;
  out.replication_factor = std::min(s.replication_factor, out.servers);
  if (server < s.plan.clock_offset_ns.size() && server < s.plan.clock_drift_ppb.size()) {
    out.plan.clock_offset_ns.erase(out.plan.clock_offset_ns.begin() + server);
    out.plan.clock_drift_ppb.erase(out.plan.clock_drift_ppb.begin() + server);
  }
  auto renumber = [server](std::vector<env::NodeId>& group) {
    std::vector<env::NodeId> kept;
    for (env::NodeId id : group) {
      if (id != server) kept.push_back(id > server ? id - 1 : id);
    }
    group = std::move(kept);
  };
  out.plan.events.clear();
  for (FaultEvent e : s.plan.events) {
    const bool has_node = e.kind != FaultKind::kPartitionHalves && e.kind != FaultKind::kPartitionOneWay &&
                          e.kind != FaultKind::kSplitGroups && e.kind != FaultKind::kHeal;
    if (has_node && e.node == server) continue;
    if (has_node && e.node > server) --e.node;
    renumber(e.group_a);
    renumber(e.group_b);
    renumber(e.group_c);
    if ((e.kind == FaultKind::kPartitionHalves || e.kind == FaultKind::kPartitionOneWay) &&
        (e.group_a.empty() || e.group_b.empty())) {
      continue;
    }
    out.plan.events.push_back(std::move(e));
  }
  out.plan.classes = faults::DeriveFaultClasses(out.plan);
  return out;
}

sim::KvScenario WithFaultPhase(const sim::KvScenario& s, env::DurationNs fault_phase_ns) {
  sim::KvScenario out = s;
  out.fault_phase_ns = fault_phase_ns;
  out.plan.events.clear();
  for (const FaultEvent& e : s.plan.events) {
    if (e.at_ns < fault_phase_ns) out.plan.events.push_back(e);
  }
  out.plan.classes = faults::DeriveFaultClasses(out.plan);
  return out;
}

ShrinkResult Shrink(const sim::KvScenario& original, const CandidateRunner& run, const ShrinkOptions& options) {
  ShrinkResult result;
  result.scenario = original;
  result.original = run(original);
  result.outcome = result.original;
  result.attempts = 1;
  result.original_failed = result.original.failed;
  if (!result.original_failed) return result;
  result.category = result.original.categories.empty() ? "other" : result.original.categories[0];
  Session session(run, options, result);
  session.Report(absl::StrCat("attempt 1: the original scenario (", SizeToString(SizeOf(original)),
                              "): fails (", result.category, ")"));
  for (bool progress = true; progress && session.budget_left();) {
    progress = false;
    progress |= ShrinkEvents(session);
    progress |= session.Reduce(session.current().clients, 1, 1, "clients", [&](int64_t v) {
      sim::KvScenario s = session.current();
      s.clients = static_cast<int>(v);
      return s;
    });
    progress |= ShrinkServers(session);
    progress |= session.Reduce(session.current().shards, 1, 1, "shards", [&](int64_t v) {
      sim::KvScenario s = session.current();
      s.shards = static_cast<int>(v);
      return s;
    });
    progress |= session.Reduce(session.current().fault_phase_ns / kMillisecond, kShortestFaultPhaseNs / kMillisecond,
                               kFaultPhaseUnitNs / kMillisecond, "fault phase ms",
                               [&](int64_t v) { return WithFaultPhase(session.current(), v * kMillisecond); });
    if (session.current().workload.ops_per_client == 0 && result.outcome.max_client_ops > 0) {
      sim::KvScenario s = session.current();
      s.workload.ops_per_client = result.outcome.max_client_ops;
      progress |= session.Try(s, absl::StrCat("ops per client unlimited -> ", s.workload.ops_per_client));
    }
    if (session.current().workload.ops_per_client > 0) {
      progress |= session.Reduce(static_cast<int64_t>(session.current().workload.ops_per_client), 1, 1,
                                 "ops per client", [&](int64_t v) {
                                   sim::KvScenario s = session.current();
                                   s.workload.ops_per_client = static_cast<uint64_t>(v);
                                   return s;
                                 });
    }
    progress |= ZeroRates(session);
  }
  return result;
}

}  // namespace kv::scenario
