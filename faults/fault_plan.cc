#include "faults/fault_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "node/env/check.h"

namespace kv::faults {
namespace {

using env::kMillisecond;
using env::kSecond;

// A random non-empty proper subset of the nodes, in ascending order, and
// the rest.
void DrawSplit(env::Random& random, int node_count, std::vector<env::NodeId>& side,
               std::vector<env::NodeId>& rest) {
  side.clear();
  rest.clear();
  const int side_size = static_cast<int>(random.UniformRange(1, node_count / 2));
  std::vector<env::NodeId> order(node_count);
  for (int i = 0; i < node_count; ++i) order[i] = i;
  for (int i = 0; i < side_size; ++i) {  // Partial Fisher-Yates, our own draws.
    const int j = i + static_cast<int>(random.Uniform(node_count - i));
    std::swap(order[i], order[j]);
  }
  side.assign(order.begin(), order.begin() + side_size);
  rest.assign(order.begin() + side_size, order.end());
  std::sort(side.begin(), side.end());
  std::sort(rest.begin(), rest.end());
}

FaultEvent DrawPartition(env::Random& random, int node_count, PartitionShapes shapes) {
  FaultEvent e;
  // The shapes that need three or four nodes to mean anything come last.
  const FaultKind all[] = {FaultKind::kPartitionHalves, FaultKind::kPartitionOneWay,
                           FaultKind::kIsolate,         FaultKind::kIsolateLeader,
                           FaultKind::kSplitGroups,     FaultKind::kBridge,
                           FaultKind::kMajoritiesRing};
  const FaultKind classic[] = {FaultKind::kPartitionHalves, FaultKind::kPartitionOneWay,
                               FaultKind::kIsolate, FaultKind::kSplitGroups, FaultKind::kBridge};
  if (shapes == PartitionShapes::kAll) {
    e.kind = all[random.Uniform(node_count >= 4 ? 7 : node_count >= 3 ? 6 : 4)];
  } else {
    e.kind = classic[random.Uniform(node_count >= 3 ? 5 : 3)];
  }
  switch (e.kind) {
    case FaultKind::kMajoritiesRing: {
      for (int i = 0; i < node_count; ++i) e.group_a.push_back(i);
      for (int i = node_count - 1; i > 0; --i) {  // Fisher-Yates, our own draws.
        std::swap(e.group_a[i], e.group_a[random.Uniform(i + 1)]);
      }
      break;
    }
    case FaultKind::kIsolateLeader:  // `node` is the fallback if no node leads.
      for (int i = 0; i < node_count; ++i) e.group_b.push_back(i);
      e.node = static_cast<env::NodeId>(random.Uniform(node_count));
      break;
    case FaultKind::kIsolate:
      e.node = static_cast<env::NodeId>(random.Uniform(node_count));
      break;
    case FaultKind::kSplitGroups: {
      // Deal nodes into three groups; a group may end up empty, but not two:
      // all nodes in one group would block nothing (a fault that never
      // fires). The fix-up moves a node without drawing, so that the draws
      // of every other event stay as they were.
      std::vector<env::NodeId> groups[3];
      for (int i = 0; i < node_count; ++i) groups[random.Uniform(3)].push_back(i);
      for (int g = 0; g < 3; ++g) {
        if (groups[g].size() == static_cast<size_t>(node_count) && node_count > 1) {
          groups[(g + 1) % 3].push_back(groups[g].back());
          groups[g].pop_back();
        }
      }
      e.group_a = groups[0];
      e.group_b = groups[1];
      e.group_c = groups[2];
      break;
    }
    case FaultKind::kBridge: {
      e.node = static_cast<env::NodeId>(random.Uniform(node_count));
      for (int i = 0; i < node_count; ++i) {
        if (static_cast<env::NodeId>(i) == e.node) continue;
        (random.Chance(1, 2) ? e.group_a : e.group_b).push_back(i);
      }
      // Both sides need a node, or the bridge blocks nothing (a fault that
      // never fires; a sweep's fault tally showed it). Moved without a
      // draw, so that no other event's draws shift.
      if (e.group_a.empty() && e.group_b.size() >= 2) {
        e.group_a.push_back(e.group_b.back());
        e.group_b.pop_back();
      } else if (e.group_b.empty() && e.group_a.size() >= 2) {
        e.group_b.push_back(e.group_a.back());
        e.group_a.pop_back();
      }
      break;
    }
    default:
      DrawSplit(random, node_count, e.group_a, e.group_b);
      break;
  }
  return e;
}

std::string Nodes(const std::vector<env::NodeId>& nodes) {
  return absl::StrCat("{", absl::StrJoin(nodes, ","), "}");
}

std::string Ppm(uint32_t ppm) { return absl::StrFormat("%u.%02u%%", ppm / 10000, (ppm / 100) % 100); }

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kPartitionHalves: return "partition-halves";
    case FaultKind::kPartitionOneWay: return "partition-one-way";
    case FaultKind::kIsolate: return "isolate";
    case FaultKind::kSplitGroups: return "split-groups";
    case FaultKind::kBridge: return "bridge";
    case FaultKind::kHeal: return "heal";
    case FaultKind::kCrash: return "crash";
    case FaultKind::kRestart: return "restart";
    case FaultKind::kPause: return "pause";
    case FaultKind::kClockDrift: return "clock-drift";
    case FaultKind::kMemoryPressure: return "memory-pressure";
    case FaultKind::kMemoryRelief: return "memory-relief";
    case FaultKind::kMajoritiesRing: return "majorities-ring";
    case FaultKind::kIsolateLeader: return "isolate-leader";
  }
  return "unknown";
}

std::string DescribeFaultEvent(const FaultEvent& e) {
  std::string out = FaultKindName(e.kind);
  switch (e.kind) {
    case FaultKind::kPartitionHalves:
      absl::StrAppend(&out, " ", Nodes(e.group_a), " | ", Nodes(e.group_b));
      break;
    case FaultKind::kPartitionOneWay:
      absl::StrAppend(&out, " ", Nodes(e.group_a), " -/-> ", Nodes(e.group_b));
      break;
    case FaultKind::kSplitGroups:
      absl::StrAppend(&out, " ", Nodes(e.group_a), " | ", Nodes(e.group_b), " | ", Nodes(e.group_c));
      break;
    case FaultKind::kBridge:
      absl::StrAppend(&out, " ", Nodes(e.group_a), " <-> ", e.node, " <-> ", Nodes(e.group_b));
      break;
    case FaultKind::kMajoritiesRing:
      absl::StrAppend(&out, " ring ", absl::StrJoin(e.group_a, "-"));
      break;
    case FaultKind::kIsolateLeader:
      absl::StrAppend(&out, " (the busiest leader then, or node ", e.node, ") from the rest of ",
                      Nodes(e.group_b));
      break;
    case FaultKind::kHeal:
      break;
    case FaultKind::kPause:
      absl::StrAppend(&out, " node ", e.node, " for ", e.duration_ns / kMillisecond, "ms");
      break;
    case FaultKind::kClockDrift:
      absl::StrAppend(&out, " node ", e.node, " to ", e.value, "ppb");
      break;
    case FaultKind::kMemoryPressure:
    case FaultKind::kMemoryRelief:
      absl::StrAppend(&out, " node ", e.node, " limit ", e.value, " bytes");
      break;
    default:
      absl::StrAppend(&out, " node ", e.node);
      break;
  }
  return out;
}

bool IsPartitionKind(FaultKind kind) {
  switch (kind) {
    case FaultKind::kPartitionHalves:
    case FaultKind::kPartitionOneWay:
    case FaultKind::kIsolate:
    case FaultKind::kSplitGroups:
    case FaultKind::kBridge:
    case FaultKind::kMajoritiesRing:
    case FaultKind::kIsolateLeader:
      return true;
    default:
      return false;
  }
}

FaultPlan DrawFaultPlan(env::Random& random, int node_count, env::DurationNs fault_phase_ns,
                        int64_t memory_limit_bytes, PartitionShapes shapes) {
  KV_CHECK_GE(node_count, 1);
  KV_CHECK_GT(fault_phase_ns, 0);
  FaultPlan plan;
  FaultClasses& c = plan.classes;
  // Swarm testing: each class on with probability 1/2, independently.
  c.loss = random.Chance(1, 2);
  c.duplication = random.Chance(1, 2);
  c.reordering = random.Chance(1, 2);
  c.delay_tail = random.Chance(1, 2);
  // A single node has no links to cut (the draw is made all the same, so
  // the draws after it do not depend on the node count).
  c.partitions = random.Chance(1, 2) && node_count >= 2;
  c.crashes = random.Chance(1, 2);
  c.pauses = random.Chance(1, 2);
  c.clock_drift = random.Chance(1, 2);
  c.memory_pressure = random.Chance(1, 2);

  sim::LinkProfile& link = plan.link;
  link.latency_base_ns = random.UniformRange(50'000, 500'000);
  link.latency_jitter_ns = random.UniformRange(0, link.latency_base_ns);
  link.tail_ppm = c.delay_tail ? static_cast<uint32_t>(random.UniformRange(1'000, 50'000)) : 0;
  link.tail_mean_ns = random.UniformRange(1, 50) * kMillisecond;
  link.loss_ppm = c.loss ? static_cast<uint32_t>(random.UniformRange(1'000, 200'000)) : 0;
  link.duplicate_ppm = c.duplication ? static_cast<uint32_t>(random.UniformRange(1'000, 100'000)) : 0;
  link.reorder_ppm = c.reordering ? static_cast<uint32_t>(random.UniformRange(1'000, 200'000)) : 0;
  link.reorder_delay_max_ns = random.UniformRange(1, 20) * kMillisecond;

  for (int i = 0; i < node_count; ++i) {
    plan.clock_offset_ns.push_back(random.UniformRange(0, 1000) * kSecond);
    plan.clock_drift_ppb.push_back(c.clock_drift ? random.UniformRange(-200'000, 200'000) : 0);
  }

  // Timed faults: a handful per class that is on, at uniform times.
  auto at = [&] { return random.UniformRange(0, fault_phase_ns - 1); };
  if (c.partitions) {
    const int count = static_cast<int>(random.UniformRange(1, 8));
    for (int i = 0; i < count; ++i) {
      FaultEvent e = DrawPartition(random, node_count, shapes);
      e.at_ns = at();
      FaultEvent heal;
      heal.kind = FaultKind::kHeal;
      heal.at_ns = std::min(e.at_ns + random.UniformRange(100, 3000) * kMillisecond, fault_phase_ns - 1);
      plan.events.push_back(std::move(e));
      plan.events.push_back(std::move(heal));
    }
  }
  if (c.crashes) {
    const int count = static_cast<int>(random.UniformRange(1, 4));
    for (int i = 0; i < count; ++i) {
      FaultEvent crash;
      crash.kind = FaultKind::kCrash;
      crash.node = static_cast<env::NodeId>(random.Uniform(node_count));
      crash.at_ns = at();
      FaultEvent restart = crash;
      restart.kind = FaultKind::kRestart;
      restart.at_ns = std::min(crash.at_ns + random.UniformRange(10, 2000) * kMillisecond, fault_phase_ns - 1);
      plan.events.push_back(std::move(crash));
      plan.events.push_back(std::move(restart));
    }
  }
  if (c.pauses) {
    const int count = static_cast<int>(random.UniformRange(1, 4));
    for (int i = 0; i < count; ++i) {
      FaultEvent pause;
      pause.kind = FaultKind::kPause;
      pause.node = static_cast<env::NodeId>(random.Uniform(node_count));
      pause.at_ns = at();
      pause.duration_ns = random.UniformRange(10, 3000) * kMillisecond;
      plan.events.push_back(std::move(pause));
    }
  }
  if (c.clock_drift) {
    FaultEvent drift;
    drift.kind = FaultKind::kClockDrift;
    drift.node = static_cast<env::NodeId>(random.Uniform(node_count));
    drift.at_ns = at();
    drift.value = random.UniformRange(-500'000, 500'000);
    plan.events.push_back(std::move(drift));
  }
  if (c.memory_pressure) {
    FaultEvent pressure;
    pressure.kind = FaultKind::kMemoryPressure;
    pressure.node = static_cast<env::NodeId>(random.Uniform(node_count));
    pressure.at_ns = at();
    pressure.value = memory_limit_bytes / random.UniformRange(4, 1000);
    FaultEvent relief = pressure;
    relief.kind = FaultKind::kMemoryRelief;
    relief.at_ns = std::min(pressure.at_ns + random.UniformRange(100, 3000) * kMillisecond, fault_phase_ns - 1);
    relief.value = memory_limit_bytes;
    plan.events.push_back(std::move(pressure));
    plan.events.push_back(std::move(relief));
  }
  // Stable sort keeps the draw order among equal times: a full tie-break.
  std::stable_sort(plan.events.begin(), plan.events.end(),
                   [](const FaultEvent& a, const FaultEvent& b) { return a.at_ns < b.at_ns; });
  return plan;
}

FaultClasses DeriveFaultClasses(const FaultPlan& plan) {
  FaultClasses c;
  c.loss = plan.link.loss_ppm > 0;
  c.duplication = plan.link.duplicate_ppm > 0;
  c.reordering = plan.link.reorder_ppm > 0;
  c.delay_tail = plan.link.tail_ppm > 0;
  for (int64_t drift : plan.clock_drift_ppb) c.clock_drift = c.clock_drift || drift != 0;
  for (const FaultEvent& e : plan.events) {
    if (IsPartitionKind(e.kind) || e.kind == FaultKind::kHeal) {
      c.partitions = true;
      continue;
    }
    switch (e.kind) {
      case FaultKind::kCrash:
      case FaultKind::kRestart:
        c.crashes = true;
        break;
      case FaultKind::kPause:
        c.pauses = true;
        break;
      case FaultKind::kClockDrift:
        c.clock_drift = true;
        break;
      case FaultKind::kMemoryPressure:
      case FaultKind::kMemoryRelief:
        c.memory_pressure = true;
        break;
      default:  // The partition kinds, handled above.
        break;
    }
  }
  return c;
}

std::string FaultPlan::ToString() const {
  std::string out;
  const FaultClasses& c = classes;
  std::vector<std::string> on;
  if (c.loss) on.push_back("loss");
  if (c.duplication) on.push_back("duplication");
  if (c.reordering) on.push_back("reordering");
  if (c.delay_tail) on.push_back("delay-tail");
  if (c.partitions) on.push_back("partitions");
  if (c.crashes) on.push_back("crashes");
  if (c.pauses) on.push_back("pauses");
  if (c.clock_drift) on.push_back("clock-drift");
  if (c.memory_pressure) on.push_back("memory-pressure");
  absl::StrAppend(&out, "fault classes: ", on.empty() ? "none" : absl::StrJoin(on, " "), "\n");
  absl::StrAppend(&out, "links: latency ", link.latency_base_ns / 1000, "us + up to ",
                  link.latency_jitter_ns / 1000, "us jitter, tail ", Ppm(link.tail_ppm), " (mean ",
                  link.tail_mean_ns / kMillisecond, "ms), loss ", Ppm(link.loss_ppm), ", duplicate ",
                  Ppm(link.duplicate_ppm), ", reorder ", Ppm(link.reorder_ppm), " (up to ",
                  link.reorder_delay_max_ns / kMillisecond, "ms)\n");
  absl::StrAppend(&out, "clock drift ppb:", "");
  for (int64_t d : clock_drift_ppb) absl::StrAppend(&out, " ", d);
  absl::StrAppend(&out, "\n");
  for (const FaultEvent& e : events) {
    absl::StrAppend(&out, "  t=", e.at_ns / kMillisecond, "ms ", DescribeFaultEvent(e), "\n");
  }
  return out;
}

}  // namespace kv::faults
