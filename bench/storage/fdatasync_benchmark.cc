// The raw durable-write rate of the disk under the benchmark directory:
// append `size` bytes with pwrite, then fdatasync, repeatedly. This bounds
// what any log can do without group commit (one sync per write), and is the
// yardstick for BM_RocksLogAppend's syncs/s.

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "bench/storage/bench_dir.h"
#include "benchmark/benchmark.h"

namespace kv::storage {
namespace {

void BM_RawFdatasync(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  bench::BenchDir dir;
  const std::string path = dir.path() + "/sync_probe";
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return state.SkipWithError("open failed");
  const std::string block(size, 'x');
  off_t offset = 0;
  int64_t syncs = 0;
  bool failed = false;
  for (auto _ : state) {
    failed = failed || pwrite(fd, block.data(), block.size(), offset) != static_cast<ssize_t>(size);
    offset += static_cast<off_t>(size);
    failed = failed || fdatasync(fd) != 0;
    ++syncs;
  }
  close(fd);
  if (failed) state.SkipWithError("pwrite or fdatasync failed");
  state.counters["syncs/s"] = benchmark::Counter(static_cast<double>(syncs),
                                                 benchmark::Counter::kIsRate);
}

BENCHMARK(BM_RawFdatasync)
    ->ArgName("bytes")
    ->Arg(128)
    ->Arg(4096)
    ->Arg(32768)
    ->UseRealTime()
    ->MinTime(2.0)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kv::storage
