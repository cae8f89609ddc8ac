// CPU cost of the simulated log: appends through SimLogStorage on a SimDisk
// driven by a manual event loop, i.e. what one simulated node's log costs the
// simulator per entry (no real I/O; simulated sync latency is free).

#include <cstdint>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "storage/sim_log_storage.h"
#include "storage/testing/manual_loop.h"

namespace kv::storage {
namespace {

void BM_SimLogAppend(benchmark::State& state) {
  const int64_t batch = state.range(0);
  testing::ManualLoop loop;
  SimDisk disk(loop, env::Random(1));
  auto log = *SimLogStorage::Open(disk, 1);
  const std::string payload(128, 'p');
  int64_t entries = 0;
  int64_t in_flight = 0;
  for (auto _ : state) {
    LogWrite write;
    for (int64_t i = 0; i < batch; ++i) {
      write.entries.push_back(LogEntry{log->LastIndex() + 1 + static_cast<uint64_t>(i), 1, payload});
    }
    ++in_flight;
    log->Write(write, [&in_flight](absl::Status) { --in_flight; });
    entries += batch;
    // Keep the journal bounded: snapshot and compact now and then, as Raft
    // would, which also exercises the journal rewrite.
    if (log->LastIndex() - log->FirstIndex() > 4096) {
      loop.RunUntilIdle();
      const uint64_t index = log->LastIndex() - 64;
      const uint64_t term = *log->Term(index);
      log->SaveSnapshot(LogSnapshot{SnapshotMetadata{index, term, ""}, "s"}, [](absl::Status) {});
      log->Compact(index, [](absl::Status) {});
    }
    if (in_flight >= 32) loop.RunUntil([&in_flight] { return in_flight < 32; });
  }
  loop.RunUntilIdle();
  state.counters["entries/s"] = benchmark::Counter(static_cast<double>(entries),
                                                   benchmark::Counter::kIsRate);
}

BENCHMARK(BM_SimLogAppend)->ArgName("batch")->Arg(1)->Arg(16)->Arg(256)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kv::storage
