#pragma once
// TextTraceSink: the readable trace of `kvsim replay --trace`, one line per
// event, narrowed by a TraceFilter. Layer: sim (trace).
//
// Every line starts with the simulated time and the node it is about:
//   1.234567s n0 send -> n2 s3 MSG_APP term=2 index=5 ... (+0.213ms, msg 812)
//   1.234780s n2 recv <- n0 s3 MSG_APP term=2 index=5 ... (msg 812)
//   1.300000s n1 s3 role leader term=3
//   1.300100s c4 reply PUT k4-1 s2 -> OK (latency 12.345ms)
//   2.000000s n3 fault crash
// A network message that carries several shards' Raft messages (a batch)
// gives one line per part, so a --shard filter shows only its own.

#include <cstdio>
#include <string>

#include "sim/trace/trace_filter.h"
#include "sim/trace/trace_sink.h"

namespace kv::sim::trace {

class TextTraceSink final : public TraceSink {
 public:
  // Writes to `out` (not owned, not closed).
  TextTraceSink(std::FILE* out, const TraceFilter& filter) : out_(out), filter_(filter) {}

  void Begin(const TraceLayout& layout) override;
  void Record(const TraceEvent& event) override;
  [[nodiscard]] absl::Status Finish(env::TimeNs end_ns) override;

  uint64_t lines_written() const { return lines_written_; }

  // For a process that is aborting (a failed check): writes the lines still
  // buffered straight to the output's file descriptor, so that a trace of a
  // crashing seed ends at the crash. Uses only write(2); call it from a
  // SIGABRT handler, never concurrently with Record.
  void WritePendingOnAbort() const;

 private:
  void Line(const TraceEvent& event, const std::string& rest);
  void Flush();

  std::FILE* out_;
  TraceFilter filter_;
  TraceLayout layout_;
  std::string buffer_;
  uint64_t lines_written_ = 0;
};

}  // namespace kv::sim::trace
