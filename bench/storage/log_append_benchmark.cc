// Raft log append throughput of RocksLogStorage with group commit.
//
// Arguments: entries per write (a Raft "ready" batch: 1, 16, 256) and the
// number of writes kept in flight (1: every write waits for its own fsync;
// 32: many Raft groups appending at once, as on a busy node, so writes
// queued during a sync share the next one). Each entry carries a 128-byte
// payload. Reported: entries/s, syncs/s and entries per sync.

#include <cstdint>
#include <memory>
#include <string>

#include "bench/storage/bench_dir.h"
#include "benchmark/benchmark.h"
#include "storage/rocks_db.h"
#include "storage/rocks_log_storage.h"
#include "storage/testing/rocks_test_executor.h"

namespace kv::storage {
namespace {

constexpr size_t kPayloadBytes = 128;
constexpr GroupId kGroups = 32;

void BM_RocksLogAppend(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const int64_t window = state.range(1);
  bench::BenchDir dir;
  testing::RocksTestExecutor executor;
  RocksDbOptions options;
  options.path = dir.path();
  auto db = RocksDb::Open(options);
  if (!db.ok()) return state.SkipWithError(std::string(db.status().message()).c_str());
  std::vector<std::unique_ptr<RocksLogStorage>> logs;
  for (GroupId group = 0; group < kGroups; ++group) {
    logs.push_back(*RocksLogStorage::Open(**db, executor, group));
  }
  const std::string payload(kPayloadBytes, 'p');
  int64_t in_flight = 0;
  int64_t entries = 0;
  bool failed = false;
  const int64_t syncs_before = (*db)->syncer().sync_count();
  uint64_t write_number = 0;
  for (auto _ : state) {
    // Round-robin over the groups, as a node with many shards would write.
    RocksLogStorage& log = *logs[write_number++ % kGroups];
    LogWrite write;
    write.hard_state = HardState{1, 1, log.LastIndex()};
    for (int64_t i = 0; i < batch; ++i) {
      write.entries.push_back(LogEntry{log.LastIndex() + 1 + static_cast<uint64_t>(i), 1, payload});
    }
    ++in_flight;
    log.Write(write, [&](absl::Status status) {
      failed = failed || !status.ok();
      --in_flight;
    });
    entries += batch;
    if (in_flight >= window) executor.RunUntil([&] { return in_flight < window; });
  }
  executor.RunUntil([&] { return in_flight == 0; });
  if (failed) state.SkipWithError("a write failed");
  const double syncs = static_cast<double>((*db)->syncer().sync_count() - syncs_before);
  state.counters["entries/s"] = benchmark::Counter(static_cast<double>(entries),
                                                   benchmark::Counter::kIsRate);
  state.counters["syncs/s"] = benchmark::Counter(syncs, benchmark::Counter::kIsRate);
  state.counters["entries/sync"] = static_cast<double>(entries) / (syncs > 0 ? syncs : 1);
  logs.clear();
}

BENCHMARK(BM_RocksLogAppend)
    ->ArgNames({"batch", "in_flight"})
    ->Args({1, 1})
    ->Args({1, 32})
    ->Args({16, 1})
    ->Args({16, 32})
    ->Args({256, 1})
    ->Args({256, 32})
    ->UseRealTime()
    ->MinTime(2.0)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kv::storage
