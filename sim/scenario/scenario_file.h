#pragma once
// Scenario files: a KvScenario (sim/cluster/kv_scenario.h) as protobuf text
// (scenario.proto), for `kvsim run --scenario F`, `kvsim run
// --print-scenario`, the shrinker and the property tests. Layer: sim.
//
// Reading never crashes on bad input: a malformed file, a missing field, an
// unknown name or a value the simulator cannot run is an InvalidArgument
// error that names the file, the line and the field.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sim/cluster/kv_scenario.h"

namespace kv::scenario {

// ---- limits ----

// An inclusive range of allowed values. Invariant: low <= high.
struct Bounds {
  int64_t low;
  int64_t high;
};

// Ranges of the fields a file's value may be too large for: the reader
// checks these itself, so that a value is reported as the file wrote it and
// not as narrowed into the KvScenario field (4294967295 as 2147483647).
inline constexpr Bounds kServersBounds{1, 64};
inline constexpr Bounds kShardsBounds{1, 1024};
inline constexpr Bounds kReplicationFactorBounds{1, 9};
inline constexpr Bounds kClientsBounds{0, 1000};
inline constexpr Bounds kKeysPerClientBounds{1, 1000};

// The most fault events a scenario may have. Drawn plans have a few dozen at
// most, and the shrinker only removes events. An event costs a run about
// 0.1 ms of wall time, so 10,000 keep even a one-hour fault phase to seconds.
inline constexpr size_t kMaxFaultEvents = 10'000;

// The largest scenario file that is read. A printed or shrunk scenario is a
// few KB; the largest valid one (64 servers, kMaxFaultEvents events of 64
// nodes each) is about 3.3 MB (LargestValidScenarioFitsTheSizeLimit checks
// it fits). Parsing 4 MiB of the smallest possible events takes about 0.4 s
// and 100 MB, where 3 million events took 16 s and 2.9 GB.
inline constexpr size_t kMaxScenarioFileBytes = size_t{4} << 20;

// "must be low..high, got value": the message for a value out of range.
inline std::string RangeMessage(Bounds bounds, const absl::AlphaNum& value) {
  return absl::StrCat("must be ", bounds.low, "..", bounds.high, ", got ", value);
}

// The message for a scenario with `count` > kMaxFaultEvents fault events.
inline std::string TooManyEventsMessage(size_t count) {
  return absl::StrCat(count, " events, more than the ", kMaxFaultEvents, " a scenario may have");
}

// ---- checking, reading and writing ----

// What is wrong with a scenario: the field, as a path of scenario.proto
// field names ("faults.events[3].node"), and why.
struct ScenarioProblem {
  std::string path;
  std::string message;
};

// The first problem that keeps `scenario` from running safely or from being
// written exactly as a file (e.g. a node id that is not a server, an event
// outside the fault phase, a think time that is not whole milliseconds), or
// nullopt if there is none.
std::optional<ScenarioProblem> FindScenarioProblem(const sim::KvScenario& scenario);

// FindScenarioProblem as a Status: OK, or kInvalidArgument "path: message".
[[nodiscard]] absl::Status ValidateScenario(const sim::KvScenario& scenario);

// The scenario file for `scenario`, with a comment header. Precondition:
// ValidateScenario(scenario) is OK. Parsing the result gives `scenario`
// back, field for field, so both run the same (same digest).
std::string FormatScenario(const sim::KvScenario& scenario);

// Parses and validates a scenario file's text. `source` names it in errors
// ("F:12:5: ..." for syntax, "F:12: faults.events[0].node: ..." for values).
// Errors: kInvalidArgument.
[[nodiscard]] absl::StatusOr<sim::KvScenario> ParseScenario(absl::string_view text, absl::string_view source);

// Reads and parses the file at `path`, reading at most kMaxScenarioFileBytes
// (+1, to tell a larger file). Errors: kNotFound (no such file),
// kInvalidArgument (it cannot be opened or read, e.g. a directory, with the
// system's reason; it is larger than kMaxScenarioFileBytes; ParseScenario's).
// A FIFO or a terminal blocks until it has written that much or closed.
[[nodiscard]] absl::StatusOr<sim::KvScenario> ReadScenarioFile(const std::string& path);

// Writes FormatScenario(scenario) to `path`. Errors: kInvalidArgument (an
// invalid scenario), kUnavailable (the file cannot be written).
[[nodiscard]] absl::Status WriteScenarioFile(const std::string& path, const sim::KvScenario& scenario);

// Size measures that shrinking reduces, for reports and tests.
struct ScenarioSize {
  int servers = 0;
  int shards = 0;
  int clients = 0;
  int fault_events = 0;
  env::DurationNs fault_phase_ns = 0;
  uint64_t ops_per_client = 0;  // 0: no limit (counts as the largest).
};
ScenarioSize SizeOf(const sim::KvScenario& scenario);
// "servers=3 shards=2 clients=4 fault_events=6 fault_phase=3000ms ops_per_client=unlimited".
std::string SizeToString(const ScenarioSize& size);

}  // namespace kv::scenario
