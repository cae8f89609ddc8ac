#include "faults/fault_injector.h"

#include "absl/strings/str_cat.h"
#include "sim/trace/tracer.h"

namespace kv::faults {
namespace {
constexpr uint64_t kFaultTag = 0x4641554c54000000ULL;  // "FAULT"
}  // namespace

FaultInjector::FaultInjector(sim::Scheduler& scheduler, ClusterControl& control,
                             const FaultPlan& plan)
    : scheduler_(scheduler), control_(control), plan_(plan) {}

void FaultInjector::Arm() {
  for (size_t i = 0; i < plan_.events.size(); ++i) {
    const FaultEvent& event = plan_.events[i];
    ++planned_[static_cast<int>(event.kind)];
    scheduler_.At(event.at_ns, kFaultTag | i, [this, &event] {
      if (!healed_) Apply(event);
    });
  }
}

void FaultInjector::Apply(const FaultEvent& e) {
  sim::SimNetwork& network = control_.network();
  const int blocked_before = network.blocked_link_count();
  env::NodeId isolated_leader = 0;  // Set for kIsolateLeader, traced below.
  bool fired = false;
  switch (e.kind) {
    case FaultKind::kPartitionHalves:
      network.PartitionSymmetric(e.group_a, e.group_b);
      break;
    case FaultKind::kPartitionOneWay:
      network.PartitionOneWay(e.group_a, e.group_b);
      break;
    case FaultKind::kIsolate:
      network.Isolate(e.node);
      break;
    case FaultKind::kSplitGroups:
      network.SplitGroups({e.group_a, e.group_b, e.group_c});
      break;
    case FaultKind::kBridge:
      network.Bridge(e.group_a, e.node, e.group_b);
      break;
    case FaultKind::kMajoritiesRing:
      network.MajoritiesRing(e.group_a);
      break;
    case FaultKind::kIsolateLeader: {
      // Cut off from its peers only: its clients still reach it, which is
      // what tempts a deposed leader to answer them.
      const env::NodeId leader = control_.BusiestLeader().value_or(e.node);
      isolated_leader = leader;
      std::vector<env::NodeId> rest;
      for (env::NodeId id : e.group_b) {
        if (id != leader) rest.push_back(id);
      }
      network.PartitionSymmetric({leader}, rest);
      break;
    }
    case FaultKind::kHeal:
      fired = blocked_before > 0;
      network.Heal();
      break;
    case FaultKind::kCrash:
      fired = control_.Crash(e.node);
      break;
    case FaultKind::kRestart:
      fired = control_.Restart(e.node);
      break;
    case FaultKind::kPause:
      fired = control_.Pause(e.node, e.duration_ns);
      break;
    case FaultKind::kClockDrift:
      fired = control_.SetClockDrift(e.node, e.value);
      break;
    case FaultKind::kMemoryPressure:
    case FaultKind::kMemoryRelief:
      fired = control_.SetMemoryLimit(e.node, e.value);
      break;
  }
  if (IsPartitionKind(e.kind)) fired = network.blocked_link_count() > blocked_before;
  if (fired) ++fired_[static_cast<int>(e.kind)];
  // Node faults are traced by the cluster where they take effect; the
  // network's are traced here, where their shape is known (for a leader's
  // isolation, only now).
  if (sim::trace::Tracer* tracer = scheduler_.tracer();
      tracer != nullptr && (IsPartitionKind(e.kind) || e.kind == FaultKind::kHeal)) {
    std::string shape = e.kind == FaultKind::kHeal          ? ""
                        : e.kind == FaultKind::kIsolateLeader ? absl::StrCat("isolate-leader node ", isolated_leader)
                                                              : DescribeFaultEvent(e);
    if (shape.rfind("partition-", 0) == 0) shape = shape.substr(10);
    tracer->Fault(e.kind == FaultKind::kHeal ? sim::trace::FaultAction::kHeal : sim::trace::FaultAction::kPartition, -1,
                  std::move(shape),
                  e.kind == FaultKind::kHeal
                      ? (fired ? absl::StrCat(blocked_before, " links unblocked") : std::string("no effect"))
                      : absl::StrCat(network.blocked_link_count(), " links blocked", fired ? "" : "; no effect"));
  }
}

void FaultInjector::HealEverything(int64_t memory_limit_bytes) {
  healed_ = true;
  if (sim::trace::Tracer* tracer = scheduler_.tracer()) {
    tracer->Fault(sim::trace::FaultAction::kHeal, -1, "everything",
                  absl::StrCat("end of the fault phase; ", control_.network().blocked_link_count(), " links unblocked"));
  }
  control_.network().Heal();
  for (int node = 0; node < control_.network().node_count(); ++node) {
    control_.Restart(node);  // No effect on nodes that are up.
    control_.SetMemoryLimit(node, memory_limit_bytes);
  }
}

std::string FaultInjector::FiredToString() const {
  std::string out;
  for (int k = 0; k < kFaultKindCount; ++k) {
    if (planned_[k] == 0) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", FaultKindName(static_cast<FaultKind>(k)), "=",
                    fired_[k], "/", planned_[k]);
  }
  return out.empty() ? "none planned" : out;
}

std::string FaultInjector::NeverFiredToString() const {
  std::string out;
  for (int k = 0; k < kFaultKindCount; ++k) {
    if (planned_[k] > 0 && fired_[k] == 0) {
      absl::StrAppend(&out, out.empty() ? "" : " ", FaultKindName(static_cast<FaultKind>(k)));
    }
  }
  return out;
}

}  // namespace kv::faults
