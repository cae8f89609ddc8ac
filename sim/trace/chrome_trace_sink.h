#pragma once
// ChromeTraceSink: writes a run in the Chrome trace-event JSON format
// ({"traceEvents":[...]}), which ui.perfetto.dev and chrome://tracing open
// as a timeline. Layer: sim (trace).
//
// Layout (timestamps are microseconds of simulated time):
// - one process per server ("n0 (server)"), with threads
//     "process": "down" spans from crash to restart, "paused" spans, and
//                instants for clock drift and memory-limit changes;
//     "network": a zero-length slice per message sent and received, joined
//                by a flow arrow from sender to receiver;
//     "shard N": the replica's Raft role as spans ("leader (term 4)"),
//   and a counter per shard with the replica's commit index;
// - a "clients" process with, per client, an "operations" thread (a span per
//   operation, from call to reply, with its outcome and latency) and a
//   "network" thread for its requests and replies;
// - a "cluster" process: partitions as spans from start to heal, and
//   instants for heals and disk-fault switches.
// Messages are many; at most `max_messages` are drawn. Past that the sink
// keeps every k-th message by id (k doubling as needed, so the sample stays
// spread over the whole run); the file's metadata and an instant at time 0
// say how many there were and which were kept. Timers are not drawn.

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/trace/trace_sink.h"

namespace kv::sim::trace {

class ChromeTraceSink final : public TraceSink {
 public:
  static constexpr size_t kDefaultMaxMessages = 20'000;

  // Writes to `out` (not owned, not closed). `max_messages` >= 1.
  ChromeTraceSink(std::FILE* out, size_t max_messages);

  void Begin(const TraceLayout& layout) override;
  void Record(const TraceEvent& event) override;
  [[nodiscard]] absl::Status Finish(env::TimeNs end_ns) override;

  uint64_t messages_total() const { return messages_total_; }
  uint64_t message_stride() const { return stride_; }

 private:
  struct Track {
    int pid = 0;
    int tid = 0;
  };
  struct OpenSpan {
    env::TimeNs start_ns = 0;
    std::string name;
    std::string args;  // A JSON object, or "".
  };
  struct Arrival {
    env::TimeNs time_ns = 0;
    bool delivered = false;
    DropReason drop = DropReason::kNone;
  };
  struct Message {
    int from = 0;
    int to = 0;
    env::TimeNs sent_ns = 0;
    std::string name;
    std::string parts;
    std::string note;
    DropReason dropped_at_send = DropReason::kNone;
    std::vector<Arrival> arrivals;
  };

  Track ProcessTrack(int node);
  Track NetworkTrack(int node);
  Track ShardTrack(int node, uint64_t shard);
  Track ClientOpsTrack(int node);
  Track ClusterTrack(int tid);
  void NameThread(const Track& track, const std::string& name, int sort_index);

  void Emit(const std::string& object);
  void Span(const Track& track, const std::string& name, env::TimeNs start_ns, env::TimeNs end_ns,
            const std::string& args, const std::string& extra = "");
  void Instant(const Track& track, const std::string& name, env::TimeNs time_ns, const std::string& args);
  void CloseRole(int node, uint64_t shard, env::TimeNs end_ns);
  void ClosePause(int node, env::TimeNs now_ns);

  void OnMessage(const TraceEvent& e);
  void OnFault(const TraceEvent& e);
  void WriteMessages();

  std::FILE* out_;
  size_t max_messages_;
  TraceLayout layout_;
  bool first_ = true;
  std::string buffer_;
  std::set<std::pair<int, int>> named_;
  std::map<std::pair<int, uint64_t>, OpenSpan> roles_;  // By (node, shard).
  std::map<int, OpenSpan> down_;                        // By node.
  std::map<int, std::pair<env::TimeNs, env::TimeNs>> paused_;  // By node: [start, until).
  std::vector<OpenSpan> partitions_;
  std::map<int, OpenSpan> calls_;  // By client node.
  std::map<uint64_t, Message> messages_;  // Kept messages, by id.
  uint64_t messages_total_ = 0;
  uint64_t stride_ = 1;
};

}  // namespace kv::sim::trace
