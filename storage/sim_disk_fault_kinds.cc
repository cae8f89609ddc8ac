#include "storage/sim_disk_fault_kinds.h"

#include "absl/strings/str_cat.h"

namespace kv::storage {

std::string SimDiskFaultRatesToString(const SimDiskFaults& faults) {
  std::string out;
  for (const SimDiskFaultKind& kind : kSimDiskFaultKinds) {
    absl::StrAppend(&out, out.empty() ? "" : " ", kind.report_key, "=", faults.*kind.rate_ppm);
  }
  return out;
}

std::string SimDiskFaultsFiredToString(const SimDiskCounters& fired) {
  std::string out;
  for (const SimDiskFaultKind& kind : kSimDiskFaultKinds) {
    absl::StrAppend(&out, out.empty() ? "" : " ", kind.report_key, "=", fired.*kind.fired);
  }
  return out;
}

std::string SimDiskFaultsNeverFired(const SimDiskFaults& faults, const SimDiskCounters& fired) {
  std::string out;
  for (const SimDiskFaultKind& kind : kSimDiskFaultKinds) {
    if (kind.must_fire_when_planned && faults.*kind.rate_ppm > 0 && fired.*kind.fired == 0) {
      absl::StrAppend(&out, out.empty() ? "" : " ", kind.name);
    }
  }
  return out;
}

}  // namespace kv::storage
