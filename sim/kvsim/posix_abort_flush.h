#pragma once
// Flushing a text trace when kvsim aborts. Layer: sim (binary, process glue).
//
// A failed check aborts the process (node/env/check.cc, raft's own checks).
// The text trace buffers its lines, and the last ones, the lines right
// before the failure, are the ones a reader wants. While a sink is
// registered, SIGABRT first writes its buffered lines, then aborts as before.

#include "sim/trace/text_trace_sink.h"

namespace kv::sim {

// Registers `sink` (or none, with null) for the SIGABRT handler. The sink
// must stay alive until it is unregistered.
void FlushTraceOnAbort(const trace::TextTraceSink* sink);

}  // namespace kv::sim
