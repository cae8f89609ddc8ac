#include "sim/scenario/scenario_file.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/env/check.h"
#include "node/kv/kv_bugs.h"
#include "raft/config.h"
#include "sim/scenario/scenario.pb.h"

namespace kv::scenario {
namespace {

using env::kMillisecond;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::TextFormat;
using pb::Clock;
using pb::Cluster;
using pb::Disk;
using pb::FaultEvent;
using pb::FaultKind;
using pb::Faults;
using pb::Link;
using pb::Scenario;
using pb::Workload;
using pb::FAULT_KIND_UNSPECIFIED;
using pb::PARTITION_HALVES;
using pb::PARTITION_ONE_WAY;
using pb::SPLIT_GROUPS;
using pb::HEAL;
using pb::PAUSE;
using pb::CLOCK_DRIFT;
using pb::MEMORY_PRESSURE;
using pb::MEMORY_RELIEF;

// Durations in files are whole milliseconds (validated before formatting).
int64_t Ms(env::DurationNs ns) { return ns / kMillisecond; }

// Which kinds of event take which optional fields (the validator checks the
// same on the struct; here we also catch fields set to zero, which the
// struct cannot tell from "absent").
bool KindTakesNode(FaultKind kind) {
  return kind != PARTITION_HALVES && kind != PARTITION_ONE_WAY && kind != SPLIT_GROUPS && kind != HEAL &&
         kind != pb::MAJORITIES_RING && kind != FAULT_KIND_UNSPECIFIED;
}

// ---- struct -> proto ----

Scenario ToProto(const sim::KvScenario& s) {
  Scenario p;
  p.set_seed(s.seed);
  Cluster& cluster = *p.mutable_cluster();
  cluster.set_servers(s.servers);
  cluster.set_shards(s.shards);
  cluster.set_replication_factor(s.replication_factor);
  cluster.set_compact_threshold_entries(s.compact_threshold_entries);
  cluster.set_memory_limit_bytes(s.memory_limit_bytes);
  Workload& w = *p.mutable_workload();
  w.set_clients(s.clients);
  w.set_keys_per_client(s.workload.keys_per_client);
  w.set_think_mean_ms(Ms(s.workload.think_mean_ns));
  w.set_value_bytes_max(s.workload.value_bytes_max);
  w.set_ops_per_client(s.workload.ops_per_client);
  w.set_get_percent(s.workload.get_percent);
  w.set_delete_percent(s.workload.delete_percent);
  w.set_cas_percent(s.workload.cas_percent);
  p.mutable_phases()->set_fault_phase_ms(Ms(s.fault_phase_ns));
  p.mutable_phases()->set_liveness_window_ms(Ms(s.liveness_window_ns));
  Faults& f = *p.mutable_faults();
  const sim::LinkProfile& l = s.plan.link;
  Link& link = *f.mutable_link();
  link.set_latency_base_ns(l.latency_base_ns);
  link.set_latency_jitter_ns(l.latency_jitter_ns);
  link.set_tail_ppm(l.tail_ppm);
  link.set_tail_mean_ms(Ms(l.tail_mean_ns));
  link.set_loss_ppm(l.loss_ppm);
  link.set_duplicate_ppm(l.duplicate_ppm);
  link.set_reorder_ppm(l.reorder_ppm);
  link.set_reorder_delay_max_ms(Ms(l.reorder_delay_max_ns));
  for (int i = 0; i < s.servers; ++i) {
    Clock& clock = *f.add_clocks();
    clock.set_offset_ms(Ms(s.plan.clock_offset_ns[i]));
    clock.set_drift_ppb(s.plan.clock_drift_ppb[i]);
  }
  for (const faults::FaultEvent& e : s.plan.events) {
    FaultEvent& event = *f.add_events();
    if (e.at_ns % kMillisecond == 0) {
      event.set_at_ms(e.at_ns / kMillisecond);
    } else {
      event.set_at_ns(e.at_ns);
    }
    event.set_kind(static_cast<FaultKind>(static_cast<int>(e.kind) + 1));
    for (env::NodeId id : e.group_a) event.add_group_a(id);
    for (env::NodeId id : e.group_b) event.add_group_b(id);
    for (env::NodeId id : e.group_c) event.add_group_c(id);
    if (KindTakesNode(event.kind())) event.set_node(e.node);
    if (e.kind == faults::FaultKind::kPause) event.set_duration_ms(Ms(e.duration_ns));
    if (e.kind == faults::FaultKind::kClockDrift || e.kind == faults::FaultKind::kMemoryPressure ||
        e.kind == faults::FaultKind::kMemoryRelief) {
      event.set_value(e.value);
    }
  }
  const storage::SimDiskFaults& d = s.disk_faults;
  Disk& disk = *f.mutable_disk();
  disk.set_write_error_ppm(d.write_error_ppm);
  disk.set_disk_full_ppm(d.disk_full_ppm);
  disk.set_sync_failure_ppm(d.sync_failure_ppm);
  disk.set_read_corruption_ppm(d.read_corruption_ppm);
  disk.set_latency_spike_ppm(d.latency_spike_ppm);
  disk.set_torn_write_ppm(d.torn_write_ppm);
  p.set_max_events(s.max_events);
  p.set_buggify(env::Buggify::ModeName(s.buggify));
  for (raft::RaftBugs bug : raft::kAllRaftBugs) {
    if ((s.raft_bugs & bug) != 0) p.add_bugs(std::string(raft::RaftBugName(bug)));
  }
  for (int bit = 0; bit < 32; ++bit) {
    if ((s.kv_bugs & (1u << bit)) != 0) p.add_bugs(node::KvBugName(static_cast<node::KvBugs>(1u << bit)));
  }
  return p;
}

// ---- proto -> struct ----

// Finds the first field that a scenario must state but `message` leaves
// out (recursively; fault events are checked by kind instead).
std::optional<ScenarioProblem> FindMissing(const Message& message, const std::string& prefix) {
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    const std::string path = prefix + field->name();
    if (field->is_repeated()) {
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->message_type() == FaultEvent::descriptor()) {
        continue;
      }
      for (int j = 0; j < r->FieldSize(message, field); ++j) {
        auto missing = FindMissing(r->GetRepeatedMessage(message, field, j), absl::StrCat(path, "[", j, "]."));
        if (missing.has_value()) return missing;
      }
      continue;
    }
    if (!r->HasField(message, field)) return ScenarioProblem{path, "missing (a scenario states every field)"};
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      auto missing = FindMissing(r->GetMessage(message, field), path + ".");
      if (missing.has_value()) return missing;
    }
  }
  return std::nullopt;
}

// Milliseconds from a file as nanoseconds, refusing values that would
// overflow (the validator applies the real bounds).
std::optional<ScenarioProblem> MsToNs(int64_t ms, const std::string& path, env::DurationNs& out) {
  constexpr int64_t kLimitMs = int64_t{1} << 40;
  if (ms < -kLimitMs || ms > kLimitMs) return ScenarioProblem{path, absl::StrCat("out of range: ", ms)};
  out = ms * kMillisecond;
  return std::nullopt;
}

// An unsigned file value narrowed to the struct's int. A value above the
// field's bounds is refused here, as the file wrote it: narrowed, it would
// reach the validator wrapped or clamped (4294967295 reported as 2147483647).
std::optional<ScenarioProblem> Narrow(uint64_t value, Bounds bounds, const char* path, int& out) {
  static_assert(kServersBounds.high <= INT32_MAX && kShardsBounds.high <= INT32_MAX &&
                kReplicationFactorBounds.high <= INT32_MAX && kClientsBounds.high <= INT32_MAX &&
                kKeysPerClientBounds.high <= INT32_MAX);
  if (value > static_cast<uint64_t>(bounds.high)) return ScenarioProblem{path, RangeMessage(bounds, value)};
  out = static_cast<int>(value);
  return std::nullopt;
}

std::optional<ScenarioProblem> EventFromProto(const FaultEvent& p, const std::string& path, faults::FaultEvent& e) {
  if (p.kind() == FAULT_KIND_UNSPECIFIED) return ScenarioProblem{path + ".kind", "missing"};
  if (p.kind() < PARTITION_HALVES || p.kind() > pb::ISOLATE_LEADER) {
    return ScenarioProblem{path + ".kind", absl::StrCat("unknown kind ", static_cast<int>(p.kind()))};
  }
  const std::string kind_name = pb::FaultKind_Name(p.kind());
  switch (p.at_case()) {
    case FaultEvent::kAtMs:
      if (auto problem = MsToNs(p.at_ms(), path + ".at_ms", e.at_ns)) return problem;
      break;
    case FaultEvent::kAtNs:
      e.at_ns = p.at_ns();
      break;
    default:
      return ScenarioProblem{path + ".at_ms", "missing (at_ms or at_ns)"};
  }
  e.kind = static_cast<faults::FaultKind>(static_cast<int>(p.kind()) - 1);
  e.group_a.assign(p.group_a().begin(), p.group_a().end());
  e.group_b.assign(p.group_b().begin(), p.group_b().end());
  e.group_c.assign(p.group_c().begin(), p.group_c().end());
  if (KindTakesNode(p.kind()) != p.has_node()) {
    return ScenarioProblem{path + ".node", p.has_node() ? absl::StrCat("a ", kind_name, " event takes no node")
                                                        : absl::StrCat("missing (a ", kind_name, " event needs one)")};
  }
  e.node = p.node();
  if ((p.kind() == PAUSE) != p.has_duration_ms()) {
    return ScenarioProblem{path + ".duration_ms", p.has_duration_ms() ? absl::StrCat("a ", kind_name, " event takes no duration")
                                                                      : "missing (a PAUSE event needs one)"};
  }
  if (p.has_duration_ms()) {
    if (auto problem = MsToNs(p.duration_ms(), path + ".duration_ms", e.duration_ns)) return problem;
  }
  const bool takes_value = p.kind() == CLOCK_DRIFT || p.kind() == MEMORY_PRESSURE || p.kind() == MEMORY_RELIEF;
  if (takes_value != p.has_value()) {
    return ScenarioProblem{path + ".value", p.has_value() ? absl::StrCat("a ", kind_name, " event takes no value")
                                                          : absl::StrCat("missing (a ", kind_name, " event needs one)")};
  }
  e.value = p.value();
  return std::nullopt;
}

std::optional<ScenarioProblem> FromProto(const Scenario& p, sim::KvScenario& s) {
  if (auto missing = FindMissing(p, "")) return missing;
  s.seed = p.seed();
  const Cluster& cluster = p.cluster();
  if (auto problem = Narrow(cluster.servers(), kServersBounds, "cluster.servers", s.servers)) return problem;
  if (auto problem = Narrow(cluster.shards(), kShardsBounds, "cluster.shards", s.shards)) return problem;
  if (auto problem = Narrow(cluster.replication_factor(), kReplicationFactorBounds, "cluster.replication_factor",
                            s.replication_factor)) {
    return problem;
  }
  s.compact_threshold_entries = cluster.compact_threshold_entries();
  s.memory_limit_bytes = cluster.memory_limit_bytes();
  const Workload& w = p.workload();
  if (auto problem = Narrow(w.clients(), kClientsBounds, "workload.clients", s.clients)) return problem;
  if (auto problem =
          Narrow(w.keys_per_client(), kKeysPerClientBounds, "workload.keys_per_client", s.workload.keys_per_client)) {
    return problem;
  }
  if (auto problem = MsToNs(w.think_mean_ms(), "workload.think_mean_ms", s.workload.think_mean_ns)) return problem;
  s.workload.value_bytes_max = w.value_bytes_max();
  s.workload.ops_per_client = w.ops_per_client();
  s.workload.get_percent = w.get_percent();
  s.workload.delete_percent = w.delete_percent();
  s.workload.cas_percent = w.cas_percent();
  if (auto problem = MsToNs(p.phases().fault_phase_ms(), "phases.fault_phase_ms", s.fault_phase_ns)) return problem;
  if (auto problem = MsToNs(p.phases().liveness_window_ms(), "phases.liveness_window_ms", s.liveness_window_ns)) {
    return problem;
  }
  const Link& link = p.faults().link();
  sim::LinkProfile& l = s.plan.link;
  l.latency_base_ns = link.latency_base_ns();
  l.latency_jitter_ns = link.latency_jitter_ns();
  l.tail_ppm = link.tail_ppm();
  if (auto problem = MsToNs(link.tail_mean_ms(), "faults.link.tail_mean_ms", l.tail_mean_ns)) return problem;
  l.loss_ppm = link.loss_ppm();
  l.duplicate_ppm = link.duplicate_ppm();
  l.reorder_ppm = link.reorder_ppm();
  if (auto problem = MsToNs(link.reorder_delay_max_ms(), "faults.link.reorder_delay_max_ms", l.reorder_delay_max_ns)) {
    return problem;
  }
  for (int i = 0; i < p.faults().clocks_size(); ++i) {
    const Clock& clock = p.faults().clocks(i);
    env::DurationNs offset_ns = 0;
    if (auto problem = MsToNs(clock.offset_ms(), absl::StrCat("faults.clocks[", i, "].offset_ms"), offset_ns)) {
      return problem;
    }
    s.plan.clock_offset_ns.push_back(offset_ns);
    s.plan.clock_drift_ppb.push_back(clock.drift_ppb());
  }
  // Refused before converting any: the validator checks the count too, but
  // only after the events are copied.
  const size_t event_count = static_cast<size_t>(p.faults().events_size());
  if (event_count > kMaxFaultEvents) return ScenarioProblem{"faults.events", TooManyEventsMessage(event_count)};
  for (int i = 0; i < p.faults().events_size(); ++i) {
    faults::FaultEvent e;
    if (auto problem = EventFromProto(p.faults().events(i), absl::StrCat("faults.events[", i, "]"), e)) return problem;
    s.plan.events.push_back(std::move(e));
  }
  s.plan.classes = faults::DeriveFaultClasses(s.plan);
  const Disk& disk = p.faults().disk();
  s.disk_faults.write_error_ppm = disk.write_error_ppm();
  s.disk_faults.disk_full_ppm = disk.disk_full_ppm();
  s.disk_faults.sync_failure_ppm = disk.sync_failure_ppm();
  s.disk_faults.read_corruption_ppm = disk.read_corruption_ppm();
  s.disk_faults.latency_spike_ppm = disk.latency_spike_ppm();
  s.disk_faults.torn_write_ppm = disk.torn_write_ppm();
  s.max_events = p.max_events();
  bool known_mode = false;
  for (env::Buggify::Mode mode : {env::Buggify::Mode::kSeeded, env::Buggify::Mode::kAll, env::Buggify::Mode::kOff}) {
    if (p.buggify() == env::Buggify::ModeName(mode)) {
      s.buggify = mode;
      known_mode = true;
    }
  }
  if (!known_mode) {
    return ScenarioProblem{"buggify", absl::StrCat("unknown mode '", p.buggify(), "' (seeded, all or off)")};
  }
  s.raft_bugs = 0;
  s.kv_bugs = 0;
  for (int i = 0; i < p.bugs_size(); ++i) {
    const std::string& name = p.bugs(i);
    absl::StatusOr<raft::RaftBugs> raft_bug = raft::ParseRaftBug(name);
    absl::StatusOr<node::KvBugs> kv_bug = node::ParseKvBug(name);
    if (raft_bug.ok()) {
      s.raft_bugs |= *raft_bug;
    } else if (kv_bug.ok()) {
      s.kv_bugs |= *kv_bug;
    } else {
      return ScenarioProblem{absl::StrCat("bugs[", i, "]"), absl::StrCat("unknown bug '", name, "'; ",
                                                                         raft_bug.status().message(), "; ",
                                                                         kv_bug.status().message())};
    }
  }
  return FindScenarioProblem(s);
}

// ---- error locations ----

// The 1-based line of the field at `path` ("faults.events[3].node") in the
// parsed file, or of the nearest enclosing field that the file states;
// 0 if none is known.
int LineOf(const std::string& path, const TextFormat::ParseInfoTree* tree) {
  const Descriptor* descriptor = Scenario::descriptor();
  int line = 0;
  for (const std::string& segment : std::vector<std::string>(absl::StrSplit(path, '.'))) {
    if (tree == nullptr || descriptor == nullptr) break;
    std::string name = segment;
    int index = -1;
    if (const size_t bracket = name.find('['); bracket != std::string::npos) {
      if (!absl::SimpleAtoi(name.substr(bracket + 1, name.size() - bracket - 2), &index)) index = -1;
      name = name.substr(0, bracket);
    }
    const FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field != nullptr && field->is_repeated() && index < 0) index = 0;
    if (field == nullptr) break;
    const int at = field->is_repeated() ? index : -1;
    const TextFormat::ParseLocation location = tree->GetLocation(field, at);
    if (location.line < 0) break;
    line = location.line + 1;
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) break;
    tree = tree->GetTreeForNested(field, at);
    descriptor = field->message_type();
  }
  return line;
}

// `path` with an event's time named as the file wrote it: the validator
// checks the struct, which keeps nanoseconds and calls the field at_ms, but
// at_ms and at_ns share a oneof, and the file may have used at_ns.
std::string PathAsWritten(const std::string& path, const Scenario& proto) {
  constexpr absl::string_view kPrefix = "faults.events[", kSuffix = "].at_ms";
  if (!absl::StartsWith(path, kPrefix) || !absl::EndsWith(path, kSuffix)) return path;
  int index = -1;
  const absl::string_view digits =
      absl::string_view(path).substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (!absl::SimpleAtoi(digits, &index) || index < 0 || index >= proto.faults().events_size()) return path;
  if (proto.faults().events(index).at_case() != FaultEvent::kAtNs) return path;
  return absl::StrCat(path.substr(0, path.size() - 3), "_ns");
}

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectErrors(std::string source) : source_(std::move(source)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {}
  const std::string& first() const { return first_; }

 private:
  std::string source_;
  std::string first_;
};

// Prints each fault event and clock on one line: a file reads like a
// timeline.
class OneLinePrinter : public TextFormat::FastFieldValuePrinter {
 public:
  void PrintMessageStart(const Message& message, int field_index, int field_count, bool single_line_mode,
                         TextFormat::BaseTextGenerator* generator) const override {
    generator->PrintLiteral(" { ");
  }
  // Set fields in declaration order; repeated scalars as a list, which the
  // parser accepts too ("group_a: [0, 2]").
  bool PrintMessageContent(const Message& message, int field_index, int field_count, bool single_line_mode,
                           TextFormat::BaseTextGenerator* generator) const override {
    const Reflection* r = message.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    r->ListFields(message, &fields);
    for (const FieldDescriptor* field : fields) {
      KV_CHECK(field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE);
      std::string text = field->name() + ": ";
      if (field->is_repeated()) {
        text += "[";
        for (int i = 0; i < r->FieldSize(message, field); ++i) {
          std::string value;
          TextFormat::PrintFieldValueToString(message, field, i, &value);
          text += (i == 0 ? "" : ", ") + value;
        }
        text += "]";
      } else {
        std::string value;
        TextFormat::PrintFieldValueToString(message, field, -1, &value);
        text += value;
      }
      generator->PrintString(text + " ");
    }
    return true;
  }
  void PrintMessageEnd(const Message& message, int field_index, int field_count, bool single_line_mode,
                       TextFormat::BaseTextGenerator* generator) const override {
    generator->PrintLiteral("}\n");
  }
};

}  // namespace

std::string FormatScenario(const sim::KvScenario& scenario) {
  const absl::Status valid = ValidateScenario(scenario);
  KV_CHECK(valid.ok());
  const Scenario proto = ToProto(scenario);
  TextFormat::Printer printer;
  printer.RegisterFieldValuePrinter(Faults::descriptor()->FindFieldByName("events"), new OneLinePrinter);
  printer.RegisterFieldValuePrinter(Faults::descriptor()->FindFieldByName("clocks"), new OneLinePrinter);
  std::string text;
  KV_CHECK(printer.PrintToString(proto, &text));
  return absl::StrCat(
      "# kvsim scenario (format: sim/scenario/scenario.proto; docs/simulator.md, \"Scenario files\").\n"
      "# Run it with: kvsim run --scenario FILE\n",
      text);
}

absl::StatusOr<sim::KvScenario> ParseScenario(absl::string_view text, absl::string_view source) {
  Scenario proto;
  TextFormat::Parser parser;
  CollectErrors errors{std::string(source)};
  TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &proto)) {
    return absl::InvalidArgumentError(errors.first().empty() ? absl::StrCat(source, ": cannot parse") : errors.first());
  }
  sim::KvScenario scenario;
  if (const std::optional<ScenarioProblem> problem = FromProto(proto, scenario)) {
    const std::string path = PathAsWritten(problem->path, proto);
    const int line = LineOf(path, &tree);
    return absl::InvalidArgumentError(
        absl::StrCat(source, line > 0 ? absl::StrCat(":", line) : "", ": ", path, ": ", problem->message));
  }
  return scenario;
}

absl::StatusOr<sim::KvScenario> ReadScenarioFile(const std::string& path) {
  // stdio rather than a stream: a stream reads a directory or an unreadable
  // file (/proc/self/mem) as empty and loses the reason, and reading it
  // whole would follow /dev/zero until memory runs out.
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int error = errno;
    const std::string message = absl::StrCat("cannot open scenario file '", path, "': ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(message) : absl::InvalidArgumentError(message);
  }
  std::string text;
  char buffer[64 * 1024];
  while (text.size() <= kMaxScenarioFileBytes) {
    errno = 0;
    const size_t read = std::fread(buffer, 1, sizeof(buffer), file.get());
    text.append(buffer, read);
    if (read == sizeof(buffer)) continue;
    if (std::ferror(file.get())) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read scenario file '", path, "': ", std::strerror(errno != 0 ? errno : EIO)));
    }
    break;  // End of file.
  }
  if (text.size() > kMaxScenarioFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario file '", path, "' is larger than ", kMaxScenarioFileBytes, " bytes"));
  }
  return ParseScenario(text, path);
}

absl::Status WriteScenarioFile(const std::string& path, const sim::KvScenario& scenario) {
  if (absl::Status valid = ValidateScenario(scenario); !valid.ok()) return valid;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << FormatScenario(scenario);
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write scenario file '", path, "'"));
  return absl::OkStatus();
}

ScenarioSize SizeOf(const sim::KvScenario& scenario) {
  ScenarioSize size;
  size.servers = scenario.servers;
  size.shards = scenario.shards;
  size.clients = scenario.clients;
  size.fault_events = static_cast<int>(scenario.plan.events.size());
  size.fault_phase_ns = scenario.fault_phase_ns;
  size.ops_per_client = scenario.workload.ops_per_client;
  return size;
}

std::string SizeToString(const ScenarioSize& size) {
  return absl::StrCat("servers=", size.servers, " shards=", size.shards, " clients=", size.clients,
                      " fault_events=", size.fault_events, " fault_phase=", size.fault_phase_ns / kMillisecond,
                      "ms ops_per_client=", size.ops_per_client == 0 ? "unlimited" : absl::StrCat(size.ops_per_client));
}

}  // namespace kv::scenario
