#include "sim/trace/tracer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sim/scheduler.h"

namespace kv::sim::trace {

std::vector<MessagePart> Tracer::Describe(int from, int to, absl::string_view bytes) {
  std::vector<MessagePart> parts;
  if (describer_) parts = describer_(from, to, bytes);
  if (parts.empty()) parts.push_back(MessagePart{0, absl::StrCat(bytes.size(), " bytes")});
  return parts;
}

void Tracer::MessageSent(int from, int to, uint64_t id, absl::string_view bytes, env::DurationNs delay_ns,
                         absl::string_view note) {
  TraceEvent e;
  e.kind = TraceKind::kSend;
  e.node = from;
  e.peer = to;
  e.message_id = id;
  e.duration_ns = delay_ns;
  e.detail = std::string(note);
  e.parts = Describe(from, to, bytes);
  Record(std::move(e));
}

void Tracer::MessageDropped(int from, int to, uint64_t id, absl::string_view bytes, DropReason reason,
                            bool at_arrival) {
  TraceEvent e;
  e.kind = TraceKind::kDrop;
  e.node = from;
  e.peer = to;
  e.message_id = id;
  e.drop = reason;
  e.at_arrival = at_arrival;
  e.parts = Describe(from, to, bytes);
  Record(std::move(e));
}

void Tracer::MessageDelivered(int from, int to, uint64_t id, absl::string_view bytes) {
  TraceEvent e;
  e.kind = TraceKind::kDeliver;
  e.node = to;
  e.peer = from;
  e.message_id = id;
  e.parts = Describe(from, to, bytes);
  Record(std::move(e));
}

void Tracer::TimerFired(int node, uint64_t timer_id) {
  TraceEvent e;
  e.kind = TraceKind::kTimer;
  e.node = node;
  e.index = timer_id;
  Record(std::move(e));
}

void Tracer::Fault(FaultAction action, int node, std::string text, std::string detail,
                   env::DurationNs duration_ns) {
  TraceEvent e;
  e.kind = TraceKind::kFault;
  e.fault = action;
  e.node = node;
  e.text = std::move(text);
  e.detail = std::move(detail);
  e.duration_ns = duration_ns;
  Record(std::move(e));
}

void Tracer::Record(TraceEvent event) {
  event.time_ns = scheduler_.now_ns();
  sink_.Record(event);
}

}  // namespace kv::sim::trace
