#include "sim/trace/chrome_trace_sink.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/env/check.h"

namespace kv::sim::trace {
namespace {

constexpr int kClientsPid = 1000;
constexpr int kClusterPid = 2000;
constexpr int kProcessTid = 1;
constexpr int kNetworkTid = 2;
constexpr int kShardTidBase = 100;
constexpr int kPartitionsTid = 1;
constexpr int kClusterEventsTid = 2;

// A JSON string literal.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// Simulated nanoseconds as trace microseconds, exact ("1234.567").
std::string Micros(env::TimeNs ns) { return absl::StrFormat("%d.%03d", ns / 1000, ns % 1000); }

std::string Millis(env::DurationNs ns) { return absl::StrFormat("%d.%03d", ns / 1'000'000, (ns % 1'000'000) / 1000); }

// The first word of a message part ("MSG_APP", "request", "reply").
std::string FirstWord(const std::string& text) { return text.substr(0, text.find(' ')); }

}  // namespace

ChromeTraceSink::ChromeTraceSink(std::FILE* out, size_t max_messages) : out_(out), max_messages_(max_messages) {
  KV_CHECK_GE(max_messages, size_t{1});
}

ChromeTraceSink::Track ChromeTraceSink::ProcessTrack(int node) {
  Track t{node + 1, kProcessTid};
  NameThread(t, "process", 0);
  return t;
}

ChromeTraceSink::Track ChromeTraceSink::NetworkTrack(int node) {
  if (node < layout_.servers) {
    Track t{node + 1, kNetworkTid};
    NameThread(t, "network", 1);
    return t;
  }
  const int client = node - layout_.servers;
  Track t{kClientsPid, 2 * client + 2};
  NameThread(t, absl::StrCat("c", client, " network"), 2 * client + 2);
  return t;
}

ChromeTraceSink::Track ChromeTraceSink::ShardTrack(int node, uint64_t shard) {
  Track t{node + 1, kShardTidBase + static_cast<int>(shard)};
  NameThread(t, absl::StrCat("shard ", shard), t.tid);
  return t;
}

ChromeTraceSink::Track ChromeTraceSink::ClientOpsTrack(int node) {
  const int client = node - layout_.servers;
  Track t{kClientsPid, 2 * client + 1};
  NameThread(t, absl::StrCat("c", client, " operations"), 2 * client + 1);
  return t;
}

ChromeTraceSink::Track ChromeTraceSink::ClusterTrack(int tid) {
  Track t{kClusterPid, tid};
  NameThread(t, tid == kPartitionsTid ? "partitions" : "heals and disk faults", tid);
  return t;
}

void ChromeTraceSink::NameThread(const Track& t, const std::string& name, int sort_index) {
  if (!named_.insert({t.pid, t.tid}).second) return;
  Emit(absl::StrCat(R"({"ph":"M","name":"thread_name","pid":)", t.pid, R"(,"tid":)", t.tid,
                    R"(,"args":{"name":)", Quote(name), "}}"));
  Emit(absl::StrCat(R"({"ph":"M","name":"thread_sort_index","pid":)", t.pid, R"(,"tid":)", t.tid,
                    R"(,"args":{"sort_index":)", sort_index, "}}"));
}

void ChromeTraceSink::Emit(const std::string& object) {
  absl::StrAppend(&buffer_, first_ ? "\n" : ",\n", object);
  first_ = false;
  if (buffer_.size() >= (1 << 16)) {
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    buffer_.clear();
  }
}

void ChromeTraceSink::Span(const Track& t, const std::string& name, env::TimeNs start_ns, env::TimeNs end_ns,
                           const std::string& args, const std::string& extra) {
  Emit(absl::StrCat(R"({"ph":"X","name":)", Quote(name), R"(,"pid":)", t.pid, R"(,"tid":)", t.tid, R"(,"ts":)",
                    Micros(start_ns), R"(,"dur":)", Micros(end_ns - start_ns), args.empty() ? "" : ",\"args\":",
                    args, extra, "}"));
}

void ChromeTraceSink::Instant(const Track& t, const std::string& name, env::TimeNs time_ns,
                              const std::string& args) {
  Emit(absl::StrCat(R"({"ph":"i","s":"t","name":)", Quote(name), R"(,"pid":)", t.pid, R"(,"tid":)", t.tid,
                    R"(,"ts":)", Micros(time_ns), args.empty() ? "" : ",\"args\":", args, "}"));
}

void ChromeTraceSink::Begin(const TraceLayout& layout) {
  layout_ = layout;
  buffer_ = "{\"traceEvents\":[";
  for (int n = 0; n < layout.servers; ++n) {
    Emit(absl::StrCat(R"({"ph":"M","name":"process_name","pid":)", n + 1, R"(,"args":{"name":)",
                      Quote(absl::StrCat("n", n, " (server)")), "}}"));
    Emit(absl::StrCat(R"({"ph":"M","name":"process_sort_index","pid":)", n + 1, R"(,"args":{"sort_index":)", n,
                      "}}"));
  }
  if (layout.clients > 0) {
    Emit(absl::StrCat(R"({"ph":"M","name":"process_name","pid":)", kClientsPid,
                      R"(,"args":{"name":"clients"}})"));
    Emit(absl::StrCat(R"({"ph":"M","name":"process_sort_index","pid":)", kClientsPid,
                      R"(,"args":{"sort_index":1000}})"));
  }
  Emit(absl::StrCat(R"({"ph":"M","name":"process_name","pid":)", kClusterPid, R"(,"args":{"name":"cluster"}})"));
  Emit(absl::StrCat(R"({"ph":"M","name":"process_sort_index","pid":)", kClusterPid,
                    R"(,"args":{"sort_index":-1}})"));
}

void ChromeTraceSink::CloseRole(int node, uint64_t shard, env::TimeNs end_ns) {
  auto it = roles_.find({node, shard});
  if (it == roles_.end()) return;
  Span(ShardTrack(node, shard), it->second.name, it->second.start_ns, end_ns, it->second.args);
  roles_.erase(it);
}

void ChromeTraceSink::ClosePause(int node, env::TimeNs now_ns) {
  auto it = paused_.find(node);
  if (it == paused_.end()) return;
  // A crash ends a pause early (the new process is not frozen).
  const env::TimeNs end_ns = std::min(it->second.second, now_ns);
  Span(ProcessTrack(node), "paused", it->second.first, end_ns, "");
  paused_.erase(it);
}

void ChromeTraceSink::Record(const TraceEvent& e) {
  switch (e.kind) {
    case TraceKind::kSend:
    case TraceKind::kDeliver:
    case TraceKind::kDrop:
      OnMessage(e);
      break;
    case TraceKind::kTimer:
      break;  // Too many, and they say little on a timeline.
    case TraceKind::kRole: {
      CloseRole(e.node, e.shard, e.time_ns);
      roles_[{e.node, e.shard}] = OpenSpan{
          e.time_ns, absl::StrCat(e.text, " (term ", e.term, ")"),
          absl::StrCat(R"({"term":)", e.term, e.detail.empty() ? "" : absl::StrCat(R"(,"info":)", Quote(e.detail)),
                       "}")};
      ShardTrack(e.node, e.shard);
      break;
    }
    case TraceKind::kCommit: {
      ShardTrack(e.node, e.shard);
      Emit(absl::StrCat(R"({"ph":"C","name":)", Quote(absl::StrCat("commit s", e.shard)), R"(,"pid":)", e.node + 1,
                        R"(,"tid":)", kShardTidBase + e.shard, R"(,"ts":)", Micros(e.time_ns),
                        R"(,"args":{"index":)", e.index, "}}"));
      break;
    }
    case TraceKind::kClientCall:
      calls_[e.node] = OpenSpan{e.time_ns, e.text, e.detail};
      ClientOpsTrack(e.node);
      break;
    case TraceKind::kClientReply: {
      auto it = calls_.find(e.node);
      const env::TimeNs start_ns = it != calls_.end() ? it->second.start_ns : e.time_ns - e.duration_ns;
      std::string args = absl::StrCat(R"({"outcome":)", Quote(e.detail), R"(,"latency_ms":)", Millis(e.duration_ns),
                                      R"(,"shard":)", e.shard);
      if (it != calls_.end() && !it->second.args.empty()) absl::StrAppend(&args, R"(,"value":)", Quote(it->second.args));
      args += "}";
      Span(ClientOpsTrack(e.node), e.text, start_ns, e.time_ns, args);
      if (it != calls_.end()) calls_.erase(it);
      break;
    }
    case TraceKind::kFault:
      OnFault(e);
      break;
  }
}

void ChromeTraceSink::OnFault(const TraceEvent& e) {
  const std::string args = e.detail.empty() ? "" : absl::StrCat(R"({"detail":)", Quote(e.detail), "}");
  switch (e.fault) {
    case FaultAction::kCrash: {
      ClosePause(e.node, e.time_ns);
      for (auto it = roles_.lower_bound({e.node, 0}); it != roles_.end() && it->first.first == e.node;) {
        const uint64_t shard = (it++)->first.second;
        CloseRole(e.node, shard, e.time_ns);
      }
      down_[e.node] = OpenSpan{e.time_ns, e.detail.empty() ? "down (crash)" : "down (fail-stop)", args};
      ProcessTrack(e.node);
      break;
    }
    case FaultAction::kRestart:
    case FaultAction::kStartFailed: {
      auto it = down_.find(e.node);
      if (it != down_.end()) {
        Span(ProcessTrack(e.node), it->second.name, it->second.start_ns, e.time_ns, it->second.args);
        down_.erase(it);
      }
      if (e.fault == FaultAction::kStartFailed) {
        down_[e.node] = OpenSpan{e.time_ns, "down (start failed)", args};
      } else {
        Instant(ProcessTrack(e.node), "restart", e.time_ns, "");
      }
      break;
    }
    case FaultAction::kPause:
      ClosePause(e.node, e.time_ns);
      paused_[e.node] = {e.time_ns, e.time_ns + e.duration_ns};
      ProcessTrack(e.node);
      break;
    case FaultAction::kPartition:
      partitions_.push_back(OpenSpan{e.time_ns, absl::StrCat("partition ", e.text), args});
      ClusterTrack(kPartitionsTid);
      break;
    case FaultAction::kHeal:
      for (const OpenSpan& p : partitions_) Span(ClusterTrack(kPartitionsTid), p.name, p.start_ns, e.time_ns, p.args);
      partitions_.clear();
      Instant(ClusterTrack(kClusterEventsTid), e.text.empty() ? "heal" : absl::StrCat("heal ", e.text), e.time_ns, args);
      break;
    case FaultAction::kClockDrift:
    case FaultAction::kMemoryLimit:
      Instant(ProcessTrack(e.node), absl::StrCat(FaultActionName(e.fault), " ", e.text), e.time_ns, args);
      break;
    case FaultAction::kDiskFaults:
      Instant(ClusterTrack(kClusterEventsTid), absl::StrCat("disk faults ", e.text), e.time_ns, args);
      break;
    case FaultAction::kNone:
      break;
  }
}

void ChromeTraceSink::OnMessage(const TraceEvent& e) {
  const bool fresh = e.kind == TraceKind::kSend || (e.kind == TraceKind::kDrop && !e.at_arrival);
  if (!fresh) {
    auto it = messages_.find(e.message_id);
    if (it == messages_.end()) return;  // Not in the sample.
    it->second.arrivals.push_back(Arrival{e.time_ns, e.kind == TraceKind::kDeliver, e.drop});
    return;
  }
  ++messages_total_;
  if (e.message_id % stride_ != 0) return;
  Message m;
  m.from = e.node;
  m.to = e.peer;
  m.sent_ns = e.time_ns;
  m.note = e.detail;
  if (e.kind == TraceKind::kDrop) m.dropped_at_send = e.drop;
  for (const MessagePart& p : e.parts) {
    absl::StrAppend(&m.parts, m.parts.empty() ? "" : "; ", p.shard == 0 ? "" : absl::StrCat("s", p.shard, " "), p.text);
  }
  m.name = e.parts.size() == 1
               ? absl::StrCat(FirstWord(e.parts[0].text), e.parts[0].shard == 0 ? "" : absl::StrCat(" s", e.parts[0].shard))
               : absl::StrCat("batch of ", e.parts.size());
  messages_.emplace(e.message_id, std::move(m));
  // Over the cap: keep every other message of those kept so far. Ids grow
  // with time, so the sample stays spread over the whole run.
  while (messages_.size() > max_messages_) {
    stride_ *= 2;
    for (auto it = messages_.begin(); it != messages_.end();) {
      it = it->first % stride_ == 0 ? std::next(it) : messages_.erase(it);
    }
  }
}

void ChromeTraceSink::WriteMessages() {
  for (const auto& [id, m] : messages_) {
    const std::string peer = NodeName(layout_, m.to);
    const std::string args = absl::StrCat(R"({"msg":)", id, R"(,"from":)", Quote(NodeName(layout_, m.from)),
                                          R"(,"to":)", Quote(peer), R"(,"carries":)", Quote(m.parts),
                                          m.note.empty() ? "" : absl::StrCat(R"(,"note":)", Quote(m.note)), "}");
    if (m.dropped_at_send != DropReason::kNone) {
      Span(NetworkTrack(m.from), absl::StrCat("dropped (", DropReasonName(m.dropped_at_send), ") ", m.name, " -> ", peer),
           m.sent_ns, m.sent_ns, args);
      continue;
    }
    // Flow ids: the message id, and for a second arrival of the same id
    // (never: duplicates get their own ids) nothing.
    Span(NetworkTrack(m.from), absl::StrCat("send ", m.name, " -> ", peer), m.sent_ns, m.sent_ns, args,
         absl::StrCat(R"(,"bind_id":)", id, R"(,"flow_out":true)"));
    for (const Arrival& a : m.arrivals) {
      const std::string what = a.delivered ? "recv" : absl::StrCat("dropped (", DropReasonName(a.drop), ")");
      Span(NetworkTrack(m.to), absl::StrCat(what, " ", m.name, " <- ", NodeName(layout_, m.from)), a.time_ns,
           a.time_ns, args, absl::StrCat(R"(,"bind_id":)", id, R"(,"flow_in":true)"));
    }
  }
}

absl::Status ChromeTraceSink::Finish(env::TimeNs end_ns) {
  for (auto it = roles_.begin(); it != roles_.end();) {
    const auto key = (it++)->first;
    CloseRole(key.first, key.second, end_ns);
  }
  for (const auto& [node, span] : down_) Span(ProcessTrack(node), span.name, span.start_ns, end_ns, span.args);
  down_.clear();
  while (!paused_.empty()) ClosePause(paused_.begin()->first, end_ns);
  for (const OpenSpan& p : partitions_) Span(ClusterTrack(kPartitionsTid), p.name, p.start_ns, end_ns, p.args);
  partitions_.clear();
  for (const auto& [node, call] : calls_) {
    Span(ClientOpsTrack(node), call.name, call.start_ns, end_ns, R"({"outcome":"unfinished at the end of the run"})");
  }
  calls_.clear();
  WriteMessages();
  const std::string sampling =
      stride_ == 1 ? absl::StrCat("all ", messages_total_, " messages drawn")
                   : absl::StrCat(messages_total_, " messages; drawn: 1 in ", stride_, " by id (",
                                  messages_.size(), "), to stay within ", max_messages_);
  Instant(ClusterTrack(kClusterEventsTid), absl::StrCat("messages: ", sampling), 0, "");
  absl::StrAppend(&buffer_, "\n],\n\"displayTimeUnit\":\"ms\",\n\"metadata\":{\"seed\":", layout_.seed,
                  ",\"command\":", Quote(layout_.command), ",\"messages_total\":", messages_total_,
                  ",\"messages_drawn\":", messages_.size(), ",\"message_sampling\":", Quote(sampling),
                  ",\"end_us\":", Micros(end_ns), "}}\n");
  std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
  buffer_.clear();
  if (std::fflush(out_) != 0 || std::ferror(out_)) return absl::DataLossError("could not write the JSON trace");
  return absl::OkStatus();
}

}  // namespace kv::sim::trace
