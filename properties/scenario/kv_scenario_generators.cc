#include "properties/scenario/kv_scenario_generators.h"

#include <algorithm>

#include "sim/scenario/scenario_file.h"

namespace kv::properties {
namespace {

using env::kMillisecond;
using faults::FaultEvent;
using faults::FaultKind;

// 0 (off) or a rate in [low, high) ppm; shrinks towards off.
rc::Gen<uint32_t> MaybePpm(uint32_t low, uint32_t high) {
  return rc::gen::oneOf(rc::gen::just<uint32_t>(0), rc::gen::inRange<uint32_t>(low, high));
}

// The members of `mask`'s set bits among 0..servers-1, ascending, and the rest.
void SplitByMask(int servers, uint32_t mask, std::vector<env::NodeId>& in, std::vector<env::NodeId>& out) {
  for (int i = 0; i < servers; ++i) ((mask >> i) & 1 ? in : out).push_back(static_cast<env::NodeId>(i));
}

}  // namespace

rc::Gen<FaultEvent> GenFaultEvent(int servers, env::DurationNs fault_phase_ns, int64_t memory_limit_bytes) {
  return rc::gen::exec([=] {
    std::vector<FaultKind> kinds = {FaultKind::kCrash,      FaultKind::kRestart,        FaultKind::kPause,
                                    FaultKind::kClockDrift, FaultKind::kMemoryPressure, FaultKind::kMemoryRelief};
    if (servers >= 2) {
      kinds.insert(kinds.end(), {FaultKind::kPartitionHalves, FaultKind::kPartitionOneWay, FaultKind::kIsolate,
                                 FaultKind::kSplitGroups, FaultKind::kBridge, FaultKind::kHeal,
                                 FaultKind::kMajoritiesRing, FaultKind::kIsolateLeader});
    }
    FaultEvent e;
    e.kind = *rc::gen::elementOf(kinds);
    // Whole milliseconds: a shrunk counterexample reads better.
    e.at_ns = *rc::gen::inRange<int64_t>(0, fault_phase_ns / kMillisecond) * kMillisecond;
    const uint32_t all = (1u << servers) - 1;
    switch (e.kind) {
      case FaultKind::kPartitionHalves:
      case FaultKind::kPartitionOneWay:
        SplitByMask(servers, *rc::gen::inRange<uint32_t>(1, all), e.group_a, e.group_b);
        break;
      case FaultKind::kSplitGroups:
        for (int i = 0; i < servers; ++i) {
          const int group = *rc::gen::inRange(0, 3);
          (group == 0 ? e.group_a : group == 1 ? e.group_b : e.group_c).push_back(static_cast<env::NodeId>(i));
        }
        break;
      case FaultKind::kBridge: {
        e.node = *rc::gen::inRange<env::NodeId>(0, servers);
        const uint32_t mask = *rc::gen::inRange<uint32_t>(0, all + 1) & ~(1u << e.node);
        std::vector<env::NodeId> rest;
        SplitByMask(servers, mask, e.group_a, rest);
        for (env::NodeId id : rest) {
          if (id != e.node) e.group_b.push_back(id);
        }
        break;
      }
      case FaultKind::kMajoritiesRing: {
        for (int i = 0; i < servers; ++i) e.group_a.push_back(static_cast<env::NodeId>(i));
        for (int i = servers - 1; i > 0; --i) {
          std::swap(e.group_a[i], e.group_a[*rc::gen::inRange(0, i + 1)]);
        }
        break;
      }
      case FaultKind::kIsolateLeader:
        for (int i = 0; i < servers; ++i) e.group_b.push_back(static_cast<env::NodeId>(i));
        e.node = *rc::gen::inRange<env::NodeId>(0, servers);
        break;
      case FaultKind::kHeal:
        break;
      default:
        e.node = *rc::gen::inRange<env::NodeId>(0, servers);
        break;
    }
    if (e.kind == FaultKind::kPause) e.duration_ns = *rc::gen::inRange<int64_t>(10, 3000) * kMillisecond;
    if (e.kind == FaultKind::kClockDrift) e.value = *rc::gen::inRange<int64_t>(-500'000, 500'001);
    if (e.kind == FaultKind::kMemoryPressure) {
      e.value = memory_limit_bytes / *rc::gen::inRange<int64_t>(4, 1000);
    }
    if (e.kind == FaultKind::kMemoryRelief) e.value = memory_limit_bytes;
    return e;
  });
}

rc::Gen<sim::KvScenario> GenKvScenario(const ScenarioBounds& bounds) {
  // rapidcheck scales ranges by a size that grows with the case number, so
  // that a 12-case run would see only tiny clusters; every case gets the
  // full ranges instead (shrinking does not depend on size).
  return rc::gen::resize(100, rc::gen::exec([bounds] {
    sim::KvScenario s;
    s.seed = *rc::gen::inRange<uint64_t>(1, 1'000'000);
    s.servers = *rc::gen::inRange(1, bounds.servers_max + 1);
    s.replication_factor = *rc::gen::inRange(1, std::min(s.servers, 3) + 1);
    s.shards = *rc::gen::inRange(1, bounds.shards_max + 1);
    s.compact_threshold_entries = *rc::gen::inRange<uint64_t>(20, 500);
    s.clients = *rc::gen::inRange(1, bounds.clients_max + 1);
    s.workload.keys_per_client = *rc::gen::inRange(1, 5);
    s.workload.think_mean_ns = *rc::gen::inRange<int64_t>(1, 21) * kMillisecond;
    s.workload.ops_per_client = *rc::gen::oneOf(rc::gen::just<uint64_t>(0), rc::gen::inRange<uint64_t>(1, 200));
    s.workload.get_percent = *rc::gen::inRange<uint32_t>(0, 61);
    s.workload.delete_percent = *rc::gen::inRange<uint32_t>(0, 21);
    s.workload.cas_percent = *rc::gen::inRange<uint32_t>(0, 21);
    s.fault_phase_ns = *rc::gen::inRange<int64_t>(bounds.fault_phase_ms_min, bounds.fault_phase_ms_max + 1) * kMillisecond;
    s.liveness_window_ns = 20 * env::kSecond;
    s.kv_bugs = bounds.kv_bugs;

    sim::LinkProfile& link = s.plan.link;
    link.latency_base_ns = *rc::gen::inRange<int64_t>(50'000, 500'001);
    link.latency_jitter_ns = *rc::gen::inRange<int64_t>(0, link.latency_base_ns + 1);
    link.tail_ppm = *MaybePpm(1'000, 50'000);
    link.tail_mean_ns = *rc::gen::inRange<int64_t>(1, 51) * kMillisecond;
    link.loss_ppm = *MaybePpm(1'000, 200'000);
    link.duplicate_ppm = *MaybePpm(1'000, 100'000);
    link.reorder_ppm = *MaybePpm(1'000, 200'000);
    link.reorder_delay_max_ns = *rc::gen::inRange<int64_t>(1, 21) * kMillisecond;
    for (int i = 0; i < s.servers; ++i) {
      s.plan.clock_offset_ns.push_back(*rc::gen::inRange<int64_t>(0, 1001) * env::kSecond);
      s.plan.clock_drift_ppb.push_back(*rc::gen::oneOf(rc::gen::just<int64_t>(0),
                                                       rc::gen::inRange<int64_t>(-200'000, 200'001)));
    }
    const int event_count = *rc::gen::inRange(0, bounds.fault_events_max + 1);
    s.plan.events = *rc::gen::container<std::vector<FaultEvent>>(
        static_cast<size_t>(event_count), GenFaultEvent(s.servers, s.fault_phase_ns, s.memory_limit_bytes));
    // The injector wants time order; a stable sort keeps generation order
    // among equal times.
    std::stable_sort(s.plan.events.begin(), s.plan.events.end(),
                     [](const FaultEvent& a, const FaultEvent& b) { return a.at_ns < b.at_ns; });
    s.plan.classes = faults::DeriveFaultClasses(s.plan);

    const auto disk_rate = rc::gen::elementOf(std::vector<uint32_t>{0, 0, 100, 2'000, 20'000});
    if (bounds.disk_faults) {
      s.disk_faults.write_error_ppm = *disk_rate;
      s.disk_faults.disk_full_ppm = *disk_rate;
      s.disk_faults.sync_failure_ppm = *disk_rate;
      s.disk_faults.read_corruption_ppm = *disk_rate;
      s.disk_faults.latency_spike_ppm = *disk_rate;
    } else {
      s.disk_faults = storage::SimDiskFaults{};
    }
    s.disk_faults.torn_write_ppm = *rc::gen::elementOf(std::vector<uint32_t>{0, 500'000});
    s.buggify = *rc::gen::elementOf(
        std::vector<env::Buggify::Mode>{env::Buggify::Mode::kOff, env::Buggify::Mode::kSeeded, env::Buggify::Mode::kAll});
    return s;
  }));
}

}  // namespace kv::properties

namespace kv::sim {

void showValue(const KvScenario& scenario, std::ostream& os) {
  if (scenario::ValidateScenario(scenario).ok()) {
    os << "\n" << scenario::FormatScenario(scenario);
  } else {
    os << "(invalid scenario: " << scenario::ValidateScenario(scenario).message() << ")";
  }
}

}  // namespace kv::sim
