#pragma once
// TraceSink: where a traced run's events go (a text trace, a Chrome trace
// file, or several at once). Layer: sim (trace).
//
// Call order: Begin once, Record for every event in simulated-time order,
// Finish once when the run is over. A sink only observes: it never touches
// the simulation, so a traced run is the same run as an untraced one.

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "node/env/types.h"
#include "sim/trace/trace_event.h"

namespace kv::sim::trace {

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void Begin(const TraceLayout& layout) = 0;
  virtual void Record(const TraceEvent& event) = 0;
  // The run ended at `end_ns`: close what is still open and flush.
  // Errors: the output could not be written.
  [[nodiscard]] virtual absl::Status Finish(env::TimeNs end_ns) = 0;
};

// Hands every call to each of `sinks` in order (none of them owned).
class FanoutSink final : public TraceSink {
 public:
  explicit FanoutSink(std::vector<TraceSink*> sinks) : sinks_(std::move(sinks)) {}
  void Begin(const TraceLayout& layout) override {
    for (TraceSink* s : sinks_) s->Begin(layout);
  }
  void Record(const TraceEvent& event) override {
    for (TraceSink* s : sinks_) s->Record(event);
  }
  [[nodiscard]] absl::Status Finish(env::TimeNs end_ns) override {
    absl::Status status;
    for (TraceSink* s : sinks_) status.Update(s->Finish(end_ns));
    return status;
  }

 private:
  std::vector<TraceSink*> sinks_;
};

}  // namespace kv::sim::trace
