#include "sim/trace/trace_event.h"

#include "absl/strings/str_cat.h"

namespace kv::sim::trace {

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kNone: return "none";
    case DropReason::kLoss: return "loss";
    case DropReason::kPartition: return "partition";
    case DropReason::kDown: return "receiver down";
    case DropReason::kNoReceiver: return "no receiver";
    case DropReason::kRefused: return "refused";
  }
  return "unknown";
}

const char* FaultActionName(FaultAction action) {
  switch (action) {
    case FaultAction::kNone: return "none";
    case FaultAction::kCrash: return "crash";
    case FaultAction::kRestart: return "restart";
    case FaultAction::kStartFailed: return "start-failed";
    case FaultAction::kPause: return "pause";
    case FaultAction::kPartition: return "partition";
    case FaultAction::kHeal: return "heal";
    case FaultAction::kClockDrift: return "clock-drift";
    case FaultAction::kMemoryLimit: return "memory-limit";
    case FaultAction::kDiskFaults: return "disk-faults";
  }
  return "unknown";
}

std::string NodeName(const TraceLayout& layout, int node) {
  if (node < 0) return "*";
  if (node < layout.servers) return absl::StrCat("n", node);
  return absl::StrCat("c", node - layout.servers);
}

}  // namespace kv::sim::trace
