#pragma once
// The simulated disk's fault kinds, one row each: how a report names a
// kind, which rate in SimDiskFaults plans it and which counter in
// SimDiskCounters counts it firing. Layer: storage (beside SimDisk).
//
// A run's report ("disk faults ppm: ...", "disk faults fired: ...", "faults
// planned but never fired: ...") and a sweep's tally all read this one
// table, so a kind added here is planned, counted and reported everywhere.

#include <cstdint>
#include <string>

#include "storage/sim_disk.h"

namespace kv::storage {

struct SimDiskFaultKind {
  // The key on the "disk faults ppm:" and "disk faults fired:" lines.
  const char* report_key;
  // The name in never-fired lists and a sweep's tally.
  const char* name;
  uint32_t SimDiskFaults::*rate_ppm;
  int64_t SimDiskCounters::*fired;
  // Whether a planned kind that never fired is a false green. Torn writes
  // are the crash model, not a fault: they need a crash with unsynced
  // writes, so a run without one has none to tear.
  bool must_fire_when_planned;
};

inline constexpr SimDiskFaultKind kSimDiskFaultKinds[] = {
    {"write_error", "disk-write-error", &SimDiskFaults::write_error_ppm, &SimDiskCounters::write_errors, true},
    {"disk_full", "disk-full", &SimDiskFaults::disk_full_ppm, &SimDiskCounters::disk_full_errors, true},
    {"sync_failure", "disk-sync-failure", &SimDiskFaults::sync_failure_ppm, &SimDiskCounters::sync_failures, true},
    {"read_corruption", "disk-read-corruption", &SimDiskFaults::read_corruption_ppm,
     &SimDiskCounters::read_corruptions, true},
    {"latency_spike", "disk-latency-spike", &SimDiskFaults::latency_spike_ppm, &SimDiskCounters::latency_spikes,
     true},
    {"torn_write", "torn-write", &SimDiskFaults::torn_write_ppm, &SimDiskCounters::torn_writes, false},
};

// "write_error=0 disk_full=100 ... torn_write=500000": every kind's rate.
std::string SimDiskFaultRatesToString(const SimDiskFaults& faults);
// "write_error=0 disk_full=3 ... torn_write=1": how often each kind fired.
std::string SimDiskFaultsFiredToString(const SimDiskCounters& fired);
// The names of the kinds planned (rate above zero) that never fired and
// must fire when planned, space-separated; "" if none.
std::string SimDiskFaultsNeverFired(const SimDiskFaults& faults, const SimDiskCounters& fired);

}  // namespace kv::storage
