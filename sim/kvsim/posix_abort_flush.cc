#include "sim/kvsim/posix_abort_flush.h"

#include <signal.h>

namespace kv::sim {
namespace {

// Process-wide by nature: a signal handler has no other way to find the
// sink. Set and cleared only by FlushTraceOnAbort on the main thread.
const trace::TextTraceSink* g_abort_sink = nullptr;

void OnAbort(int signal_number) {
  if (g_abort_sink != nullptr) g_abort_sink->WritePendingOnAbort();
  g_abort_sink = nullptr;
  // Abort as if no handler were installed (the exit status still says
  // "killed by SIGABRT", which sweeps report as a crash).
  struct sigaction fallback = {};
  fallback.sa_handler = SIG_DFL;
  sigaction(signal_number, &fallback, nullptr);
  raise(signal_number);
}

}  // namespace

void FlushTraceOnAbort(const trace::TextTraceSink* sink) {
  g_abort_sink = sink;
  struct sigaction action = {};
  action.sa_handler = sink != nullptr ? OnAbort : SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(SIGABRT, &action, nullptr);
}

}  // namespace kv::sim
