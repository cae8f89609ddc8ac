// State-machine point reads of RocksStateMachineStorage: Get of random
// existing keys from a shard of 200'000 keys with 100-byte values, flushed
// to SST files (block cache warm after the first pass), on the logic thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/storage/bench_dir.h"
#include "benchmark/benchmark.h"
#include "node/env/random.h"
#include "storage/rocks_db.h"
#include "storage/rocks_state_machine_storage.h"
#include "storage/testing/rocks_test_executor.h"

namespace kv::storage {
namespace {

constexpr int kKeys = 200'000;
constexpr int kKeysPerApply = 1'000;

std::string KeyOf(uint64_t i) { return "user:" + std::to_string(1'000'000 + i); }

void BM_RocksPointRead(benchmark::State& state) {
  bench::BenchDir dir;
  testing::RocksTestExecutor executor;
  RocksDbOptions options;
  options.path = dir.path();
  auto db = RocksDb::Open(options);
  if (!db.ok()) return state.SkipWithError(std::string(db.status().message()).c_str());
  auto storage = *RocksStateMachineStorage::Open(**db, executor);
  int pending = 0;
  for (int start = 0; start < kKeys; start += kKeysPerApply) {
    std::vector<Mutation> puts;
    for (int i = start; i < start + kKeysPerApply; ++i) {
      puts.push_back(Mutation::Put(KeyOf(i), std::string(100, static_cast<char>('a' + i % 26))));
    }
    ++pending;
    storage->Apply(1, static_cast<uint64_t>(start / kKeysPerApply + 1), std::move(puts),
                   [&](absl::Status) { --pending; });
  }
  executor.RunUntil([&] { return pending == 0; });
  (*db)->db().Flush(rocksdb::FlushOptions(), (*db)->state_family()).PermitUncheckedError();
  env::Random random(42);
  int64_t reads = 0;
  int64_t misses = 0;
  for (auto _ : state) {
    auto value = storage->Get(1, KeyOf(random.Uniform(kKeys)));
    if (!value.ok() || !value->has_value()) ++misses;
    benchmark::DoNotOptimize(value);
    ++reads;
  }
  if (misses > 0) state.SkipWithError("a read missed");
  state.counters["reads/s"] = benchmark::Counter(static_cast<double>(reads),
                                                 benchmark::Counter::kIsRate);
  storage.reset();
}

BENCHMARK(BM_RocksPointRead)->UseRealTime()->MinTime(2.0)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kv::storage
