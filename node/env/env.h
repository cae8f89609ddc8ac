#pragma once
// Env: the whole world as the node logic sees it. Layer: node/env.
//
// Node logic takes an Env& and touches nothing else: no globals, no wall
// clock, no threads. The simulator builds one Env per simulated node from its
// SimClock, SimNetwork endpoint, derived Random stream and executor; a real
// node builds one from its epoll or io_uring backend. See docs/env.md.

#include "node/env/buggify.h"
#include "node/env/clock.h"
#include "node/env/executor.h"
#include "node/env/memory_budget.h"
#include "node/env/network.h"
#include "node/env/random.h"

namespace kv::env {

// A bundle of references; the host owns the referents and keeps them alive
// longer than any logic object that holds this Env.
struct Env {
  Clock& clock;
  Network& network;
  Executor& executor;
  Random& random;
  MemoryBudget& memory;
  // The simulator's fault points (buggify.h); null in real nodes.
  Buggify* buggify = nullptr;
};

}  // namespace kv::env
