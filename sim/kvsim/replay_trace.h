#pragma once
// ReplayTrace: the tracing half of `kvsim replay`. Layer: sim (binary).
//
// Parses the trace flags (--trace, --node, --shard, --from, --to,
// --trace-json F) against the run's shape, opens the outputs, and builds
// the sinks the run reports to. Bad flags, an out-of-range node or shard,
// an empty window or an unwritable file are errors reported before the run
// starts (kvsim exits 2).

#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "sim/kvsim/flags.h"
#include "sim/trace/text_trace_sink.h"
#include "sim/trace/trace_filter.h"
#include "sim/trace/trace_sink.h"

namespace kv::sim {

class ReplayTrace {
 public:
  // The flags replay adds to run's.
  static const std::set<std::string>& ValueFlags();
  static const std::set<std::string>& BoolFlags();

  // `servers`, `clients`, `shards`: the run's shape, for range checks.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ReplayTrace>> Create(const Flags& flags, int servers,
                                                                           int clients, int shards);
  ~ReplayTrace();

  // What the run reports to.
  trace::TraceSink& sink() { return *sink_; }
  // The text trace, or null without --trace.
  const trace::TextTraceSink* text() const { return text_.get(); }
  // Flushes and closes the outputs; the run ended at `end_ns`.
  // Errors: an output could not be written.
  [[nodiscard]] absl::Status Finish(env::TimeNs end_ns);

 private:
  ReplayTrace() = default;

  trace::TraceFilter filter_;
  std::unique_ptr<trace::TextTraceSink> text_;
  std::unique_ptr<trace::TraceSink> json_;
  std::FILE* json_file_ = nullptr;
  std::string json_path_;
  std::unique_ptr<trace::FanoutSink> fanout_;
  trace::TraceSink* sink_ = nullptr;
};

}  // namespace kv::sim
