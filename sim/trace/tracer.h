#pragma once
// Tracer: the tracing seam's front door. Layer: sim (trace).
//
// The simulator's core (SimNetwork, SimClock) and the harnesses (KvCluster,
// the fault injector, the workload, the role observer) reach the tracer
// through Scheduler::tracer(), which is null unless a run is being traced.
// Every hook is therefore one pointer test on the hot path; all formatting
// and decoding happens here, only while tracing. The tracer stamps events
// with the scheduler's true time and hands them to one sink.
//
// The tracer draws no randomness, schedules nothing and changes no state
// of the run: a traced run has the same digest as an untraced one.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "sim/trace/trace_event.h"
#include "sim/trace/trace_sink.h"

namespace kv::sim {
class Scheduler;
}

namespace kv::sim::trace {

class Tracer {
 public:
  // Turns a message's bytes into what it carries (at least one part). The
  // harness knows the protocol; without a describer a message is "N bytes".
  using Describer = absl::AnyInvocable<std::vector<MessagePart>(int from, int to, absl::string_view bytes)>;

  // `scheduler` and `sink` must outlive the tracer.
  Tracer(const Scheduler& scheduler, TraceSink& sink) : scheduler_(scheduler), sink_(sink) {}
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  void SetDescriber(Describer describer) { describer_ = std::move(describer); }

  // A fresh id for a message (or a duplicate copy), from 1.
  uint64_t NextMessageId() { return ++last_message_id_; }

  // Network hooks (SimNetwork). `delay_ns`: until the message arrives.
  void MessageSent(int from, int to, uint64_t id, absl::string_view bytes, env::DurationNs delay_ns,
                   absl::string_view note);
  // `at_arrival`: dropped when it arrived, not when it was sent.
  void MessageDropped(int from, int to, uint64_t id, absl::string_view bytes, DropReason reason,
                      bool at_arrival);
  void MessageDelivered(int from, int to, uint64_t id, absl::string_view bytes);

  // Clock hook (SimClock): a live timer fired.
  void TimerFired(int node, uint64_t timer_id);

  // A fault action on `node` (-1: the whole network).
  void Fault(FaultAction action, int node, std::string text, std::string detail = "",
             env::DurationNs duration_ns = 0);

  // Any other event: stamped with the current time and passed on.
  void Record(TraceEvent event);

 private:
  std::vector<MessagePart> Describe(int from, int to, absl::string_view bytes);

  const Scheduler& scheduler_;
  TraceSink& sink_;
  Describer describer_;
  uint64_t last_message_id_ = 0;
};

}  // namespace kv::sim::trace
