#include "sim/scenario/scenario_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "node/kv/kv_bugs.h"
#include "raft/config.h"

namespace kv::scenario {
namespace {

sim::KvScenario Drawn(uint64_t seed, bool faults = true) {
  sim::KvScenarioOptions o;
  o.seed = seed;
  o.servers = 3;
  o.shards = 2;
  o.clients = 4;
  o.fault_phase_ns = 2 * env::kSecond;
  o.liveness_window_ns = 10 * env::kSecond;
  o.faults = faults;
  return sim::DrawKvScenario(o);
}

TEST(ScenarioFileTest, DrawnScenariosRoundTripExactly) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const sim::KvScenario drawn = Drawn(seed, seed % 5 != 0);
    ASSERT_TRUE(ValidateScenario(drawn).ok()) << "seed " << seed << ": " << ValidateScenario(drawn);
    const std::string text = FormatScenario(drawn);
    absl::StatusOr<sim::KvScenario> parsed = ParseScenario(text, "drawn");
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
    EXPECT_EQ(FormatScenario(*parsed), text);
    // The fault classes printed at the start of a run are derived from the
    // file; for a drawn plan they are the ones it was drawn with.
    EXPECT_EQ(parsed->plan.ToString(), drawn.plan.ToString()) << "seed " << seed;
  }
}

TEST(ScenarioFileTest, FileRunsLikeTheSeed) {
  for (uint64_t seed : {1, 2, 7}) {
    sim::KvScenario drawn = Drawn(seed);
    if (seed == 7) drawn.kv_bugs = node::kApplyRetryTwice;
    absl::StatusOr<sim::KvScenario> parsed = ParseScenario(FormatScenario(drawn), "drawn");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    const sim::KvScenarioResult a = sim::RunKvScenario(drawn);
    const sim::KvScenarioResult b = sim::RunKvScenario(*parsed);
    EXPECT_EQ(a.digest, b.digest) << "seed " << seed;
    EXPECT_EQ(a.ok, b.ok);
    EXPECT_EQ(a.report, b.report);
  }
}

// The scenario below, with `from` replaced by `to`, must fail to load with
// an error that contains `expected`.
void ExpectError(const std::string& from, const std::string& to, const std::string& expected) {
  const std::string text = FormatScenario(Drawn(3));
  ASSERT_NE(text.find(from), std::string::npos) << from << "\n" << text;
  const std::string broken = absl::StrReplaceAll(text, {{from, to}});
  absl::StatusOr<sim::KvScenario> parsed = ParseScenario(broken, "f.scenario");
  ASSERT_FALSE(parsed.ok()) << "accepted:\n" << broken;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(expected), std::string::npos)
      << "got: " << parsed.status().message() << "\nwanted: " << expected << "\n" << broken;
}

// ExpectError with the whole line of `field` ("  compact_threshold_entries")
// set to `value`, whatever the drawn file has there.
void ExpectValueError(const std::string& field, const std::string& value, const std::string& expected) {
  const std::string text = FormatScenario(Drawn(3));
  const size_t begin = text.find("\n" + field + ": ");
  ASSERT_NE(begin, std::string::npos) << field;
  const size_t end = text.find('\n', begin + 1);
  ExpectError(text.substr(begin, end - begin), "\n" + field + ": " + value, expected);
}

// 1-based line of the first occurrence of `needle` in the drawn file.
int LineOfText(const std::string& needle) {
  const std::string text = FormatScenario(Drawn(3));
  const size_t at = text.find(needle);
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return line;
}

TEST(ScenarioFileTest, SyntaxErrorsNameLineAndColumn) {
  const int line = LineOfText("  servers: 3");
  ExpectError("  servers: 3", "  servers: three", "f.scenario:" + std::to_string(line) + ":12:");
  ExpectError("  servers: 3", "  servrs: 3", "no field named \"servrs\"");
  ExpectError("cluster {", "cluster {{", "f.scenario:");
}

TEST(ScenarioFileTest, InvalidValuesNameLineAndField) {
  const int servers_line = LineOfText("  servers: 3");
  ExpectError("  servers: 3", "  servers: 0", "f.scenario:" + std::to_string(servers_line) + ": cluster.servers: must be 1..64, got 0");
  ExpectError("  replication_factor: 3", "  replication_factor: 4", "cluster.replication_factor: replication factor 4 exceeds the 3 servers");
  ExpectError("  servers: 3\n", "", "cluster.servers: missing");
  ExpectError("max_events: 2000000", "max_events: 5", "max_events: must be 1000..10000000000, got 5");
  ExpectError("  loss_ppm:", "  loss_ppm: 2000000 dummy_ppm:", "no field named \"dummy_ppm\"");
  ExpectError("max_events: 2000000", "max_events: 2000000\nbugs: \"apply-retry-twice\"\nbugs: \"frobnicate\"",
              "bugs[1]: unknown bug 'frobnicate'");
  ExpectError("  clocks {", "  clocks { offset_ms: 1 drift_ppb: 0 }\n  clocks {",
              "faults.clocks: wants one entry per server (3), got 6");
  ExpectError("  get_percent: 40", "  get_percent: 90", "get + delete + cas percent is 120");
  ExpectError("buggify: \"seeded\"", "buggify: \"sometimes\"", "buggify: unknown mode 'sometimes' (seeded, all or off)");
  ExpectError("  fault_phase_ms: 2000", "  fault_phase_ms: -5", "phases.fault_phase_ms: must be 1..3600000, got -5");
}

// The workload draws a write's padding as Uniform(value_bytes_max), which
// aborts on 0: the fuzzed file with 0 crashed `kvsim run --scenario`.
TEST(ScenarioFileTest, ValueBytesMaxZeroIsRejected) {
  ExpectError("  value_bytes_max: 64", "  value_bytes_max: 0", "workload.value_bytes_max: must be 1..65536, got 0");
  ExpectError("  value_bytes_max: 64", "  value_bytes_max: 65537", "workload.value_bytes_max: must be 1..65536, got 65537");
}

// A value too large for the struct's field was reported clamped
// ("got 2147483647"); the message must show the value the file wrote.
TEST(ScenarioFileTest, OutOfRangeValuesAreReportedAsWritten) {
  ExpectValueError("  servers", "4294967295", "cluster.servers: must be 1..64, got 4294967295");
  ExpectValueError("  servers", "2147483648", "cluster.servers: must be 1..64, got 2147483648");
  ExpectValueError("  shards", "4294967295", "cluster.shards: must be 1..1024, got 4294967295");
  ExpectValueError("  replication_factor", "4294967295", "cluster.replication_factor: must be 1..9, got 4294967295");
  ExpectValueError("  clients", "4294967295", "workload.clients: must be 0..1000, got 4294967295");
  ExpectValueError("  keys_per_client", "4294967295", "workload.keys_per_client: must be 1..1000, got 4294967295");
  ExpectValueError("  compact_threshold_entries", "18446744073709551615",
                   "cluster.compact_threshold_entries: must be 1..1000000000, got 18446744073709551615");
  ExpectValueError("  compact_threshold_entries", "9223372036854775808",
                   "cluster.compact_threshold_entries: must be 1..1000000000, got 9223372036854775808");
  // The line is still the field's own.
  ExpectValueError("  servers", "4294967295", "f.scenario:" + std::to_string(LineOfText("  servers: 3")) + ": ");
}

TEST(ScenarioFileTest, InvalidEventsNameTheEvent) {
  sim::KvScenario s = Drawn(3);
  s.plan.events.clear();
  faults::FaultEvent crash;
  crash.kind = faults::FaultKind::kCrash;
  crash.at_ns = 100 * env::kMillisecond;
  crash.node = 1;
  s.plan.events.push_back(crash);
  faults::FaultEvent restart = crash;
  restart.kind = faults::FaultKind::kRestart;
  restart.at_ns = 300 * env::kMillisecond;
  s.plan.events.push_back(restart);
  const std::string text = FormatScenario(s);
  auto expect = [&](const std::string& from, const std::string& to, const std::string& wanted) {
    const std::string broken = absl::StrReplaceAll(text, {{from, to}});
    ASSERT_NE(broken, text) << from;
    absl::StatusOr<sim::KvScenario> parsed = ParseScenario(broken, "f");
    ASSERT_FALSE(parsed.ok()) << broken;
    EXPECT_NE(parsed.status().message().find(wanted), std::string::npos) << parsed.status().message();
  };
  int line = 1;
  for (size_t i = 0; i < text.find("kind: RESTART"); ++i) line += text[i] == '\n';
  expect("kind: RESTART node: 1", "kind: RESTART node: 9",
         "f:" + std::to_string(line) + ": faults.events[1].node: node 9 is not a server (0..2)");
  expect("at_ms: 300", "at_ms: 50", "faults.events[1].at_ms: events must be in time order");
  expect("at_ms: 300", "at_ms: 2000", "faults.events[1].at_ms: at 2000ms is outside the fault phase [0, 2000ms)");
  expect("kind: RESTART node: 1", "kind: HEAL node: 1", "faults.events[1].node: a HEAL event takes no node");
  expect("kind: RESTART node: 1", "kind: PAUSE node: 1", "faults.events[1].duration_ms: missing");
  expect("kind: RESTART node: 1", "kind: PARTITION_HALVES group_a: 0 group_b: 0",
         "faults.events[1].group_b: node 0 appears twice");
  expect("kind: RESTART node: 1", "kind: REBOOT node: 1", "f:" + std::to_string(line) + ":");
  expect("at_ms: 300", "at_ms: 300 at_ns: 5", "at_ns");
  expect("kind: RESTART node: 1", "node: 1", "faults.events[1].kind: missing");
  // The validator calls an event's time at_ms; an error names the field the
  // file used.
  expect("at_ms: 300", "at_ns: 9223372036854775807",
         "f:" + std::to_string(line) + ": faults.events[1].at_ns: at 9223372036854775807ns is outside the fault phase");
  expect("at_ms: 100", "at_ns: -5", "faults.events[0].at_ns: at -5ns is outside the fault phase [0, 2000ms)");
  expect("at_ms: 300", "at_ns: 50000000", "faults.events[1].at_ns: events must be in time order");
  expect("at_ms: 300", "at_ms: -5", "faults.events[1].at_ms: at -5ms is outside the fault phase [0, 2000ms)");
}

// A plan of `count` HEAL events (the shortest to write), all at 0 ms.
sim::KvScenario WithHeals(size_t count) {
  sim::KvScenario s = Drawn(3);
  faults::FaultEvent heal;
  heal.kind = faults::FaultKind::kHeal;
  s.plan.events.assign(count, heal);
  return s;
}

// A file with millions of events took seconds and GBs to parse and minutes
// to run; the count is capped at kMaxFaultEvents.
TEST(ScenarioFileTest, TooManyFaultEventsAreRejected) {
  EXPECT_TRUE(ValidateScenario(WithHeals(kMaxFaultEvents)).ok());
  EXPECT_EQ(ValidateScenario(WithHeals(kMaxFaultEvents + 1)).message(),
            "faults.events: 10001 events, more than the 10000 a scenario may have");
  // The drawn file has events of its own: add enough to pass the limit by one.
  std::string events;
  for (size_t i = Drawn(3).plan.events.size(); i <= kMaxFaultEvents; ++i) events += "  events { at_ms: 0 kind: HEAL }\n";
  ExpectError("  disk {", events + "  disk {", "faults.events: 10001 events, more than the 10000 a scenario may have");
}

std::string TempPath(const std::string& name) { return testing::TempDir() + "/" + name; }

TEST(ScenarioFileTest, ReadsAWrittenFileBack) {
  const std::string path = TempPath("written.scenario");
  ASSERT_TRUE(WriteScenarioFile(path, Drawn(3)).ok());
  absl::StatusOr<sim::KvScenario> read = ReadScenarioFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(FormatScenario(*read), FormatScenario(Drawn(3)));
  std::remove(path.c_str());
}

// A directory read as an empty file ("seed: missing"); the error must say
// why the file cannot be read.
TEST(ScenarioFileTest, ReadingADirectorySaysSo) {
  absl::StatusOr<sim::KvScenario> read = ReadScenarioFile(testing::TempDir());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("cannot read scenario file"), std::string::npos) << read.status();
  EXPECT_NE(read.status().message().find(std::strerror(EISDIR)), std::string::npos) << read.status();
}

// /dev/zero was read until memory ran out (std::bad_alloc at 2 GB).
TEST(ScenarioFileTest, ReadingStopsAtTheSizeLimit) {
  const std::string limit = std::to_string(kMaxScenarioFileBytes);
  absl::StatusOr<sim::KvScenario> zero = ReadScenarioFile("/dev/zero");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(), "scenario file '/dev/zero' is larger than " + limit + " bytes");
  // One byte over is too much (a comment line pads the valid file); at the
  // limit the file is read.
  const std::string text = FormatScenario(Drawn(3));
  for (size_t size : {kMaxScenarioFileBytes, kMaxScenarioFileBytes + 1}) {
    const std::string path = TempPath("padded.scenario");
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << text << "#" << std::string(size - text.size() - 2, 'x') << "\n";
    }
    absl::StatusOr<sim::KvScenario> read = ReadScenarioFile(path);
    if (size == kMaxScenarioFileBytes) {
      EXPECT_TRUE(read.ok()) << read.status();
    } else {
      EXPECT_EQ(read.status().message(), "scenario file '" + path + "' is larger than " + limit + " bytes");
    }
    std::remove(path.c_str());
  }
}

// The largest scenario the validator allows formats to a file the reader
// takes: 64 servers, every bug, and kMaxFaultEvents events naming all 64
// servers at times that are not whole milliseconds. (One shard: the layout
// does not change the file's size, and 1024 shards of 9 replicas take
// seconds to lay out, once per validation.)
TEST(ScenarioFileTest, LargestValidScenarioFitsTheSizeLimit) {
  sim::KvScenarioOptions o;
  o.seed = UINT64_MAX;
  o.servers = 64;
  o.shards = 1;
  o.replication_factor = 1;
  o.clients = 1000;
  o.fault_phase_ns = 3'600'000 * env::kMillisecond;
  o.liveness_window_ns = 3'600'000 * env::kMillisecond;
  sim::KvScenario s = sim::DrawKvScenario(o);
  s.max_events = 10'000'000'000ULL;
  s.clients = 1000;
  for (int i = 0; i < s.servers; ++i) {
    s.plan.clock_offset_ns[i] = 100'000'000 * env::kMillisecond;
    s.plan.clock_drift_ppb[i] = -10'000'000;
  }
  faults::FaultEvent split;
  split.kind = faults::FaultKind::kSplitGroups;
  split.at_ns = o.fault_phase_ns - 1;
  for (env::NodeId id = 0; id < 64; ++id) (id < 22 ? split.group_a : id < 43 ? split.group_b : split.group_c).push_back(63 - id);
  s.plan.events.assign(kMaxFaultEvents, split);
  s.raft_bugs = 0;
  for (raft::RaftBugs bug : raft::kAllRaftBugs) s.raft_bugs |= bug;
  for (int bit = 0; bit < 32; ++bit) {
    if (std::string(node::KvBugName(static_cast<node::KvBugs>(1u << bit))) != "none") s.kv_bugs |= 1u << bit;
  }
  ASSERT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);
  const std::string path = TempPath("largest.scenario");
  ASSERT_TRUE(WriteScenarioFile(path, s).ok());
  const std::string text = FormatScenario(s);
  EXPECT_LE(text.size(), kMaxScenarioFileBytes);
  absl::StatusOr<sim::KvScenario> read = ReadScenarioFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->plan.events.size(), kMaxFaultEvents);
  std::remove(path.c_str());
}

TEST(ScenarioFileTest, ReadingAMissingFileIsNotFound) {
  absl::StatusOr<sim::KvScenario> parsed = ReadScenarioFile("/nonexistent/dir/x.scenario");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kNotFound);
}

TEST(ScenarioFileTest, NonWholeMillisecondsAreRejectedBeforeFormatting) {
  sim::KvScenario s = Drawn(4);
  s.workload.think_mean_ns += 1;
  EXPECT_NE(ValidateScenario(s).message().find("workload.think_mean_ms: must be whole milliseconds"),
            std::string::npos);
}

}  // namespace
}  // namespace kv::scenario
