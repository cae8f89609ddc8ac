// Speed of the linearizability checker on generated linearizable histories
// (accepting is the expensive direction: every key must be searched to the
// end). Issue 6 target: 10,000 operations, 100 keys, concurrency 10, < 1 s.

#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "properties/linearizability/history_generator.h"
#include "properties/linearizability/linearizability_checker.h"

namespace kv::properties {
namespace {

// Runs the checker on one generated history per benchmark; the history is
// built outside the timed loop.
void RunCheck(benchmark::State& state, const HistoryShape& shape) {
  const std::vector<Operation> history = GenerateLinearizableHistory(20261125, shape);
  CheckOptions options;
  int64_t search_steps = 0;
  for (auto _ : state) {
    const absl::StatusOr<CheckResult> result = CheckLinearizability(history, options);
    if (!result.ok() || result->verdict != Verdict::kOk) {
      state.SkipWithError("generated history was not accepted");
      return;
    }
    search_steps = result->search_steps;
    benchmark::DoNotOptimize(search_steps);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(history.size()));
  state.counters["search_steps"] = static_cast<double>(search_steps);
}

HistoryShape Shape(int32_t operation_count, int32_t key_count, int32_t client_count) {
  HistoryShape shape;
  shape.operation_count = operation_count;
  shape.key_count = key_count;
  shape.client_count = client_count;
  return shape;
}

// The figure: 10,000 ops, 100 keys, concurrency 10, a fresh value
// per write.
void BM_Check10kOps100Keys(benchmark::State& state) {
  RunCheck(state, Shape(10'000, 100, 10));
}
BENCHMARK(BM_Check10kOps100Keys)->Unit(benchmark::kMillisecond);

// Harder: values repeat (3 per key), so reads do not pin writes, and 1% of
// operations time out.
void BM_Check10kOps100KeysRepeatedValuesTimeouts(benchmark::State& state) {
  HistoryShape shape = Shape(10'000, 100, 10);
  shape.value_count = 3;
  shape.timeout_ppm = 10'000;
  RunCheck(state, shape);
}
BENCHMARK(BM_Check10kOps100KeysRepeatedValuesTimeouts)->Unit(benchmark::kMillisecond);

// No partitioning to help: every operation on one key, concurrency 10.
void BM_Check10kOps1Key(benchmark::State& state) { RunCheck(state, Shape(10'000, 1, 10)); }
BENCHMARK(BM_Check10kOps1Key)->Unit(benchmark::kMillisecond);

// Harder still: one key, 3 values, 1% timeouts, so the search backtracks.
void BM_Check10kOps1KeyRepeatedValuesTimeouts(benchmark::State& state) {
  HistoryShape shape = Shape(10'000, 1, 10);
  shape.value_count = 3;
  shape.timeout_ppm = 10'000;
  RunCheck(state, shape);
}
BENCHMARK(BM_Check10kOps1KeyRepeatedValuesTimeouts)->Unit(benchmark::kMillisecond);

// The rejecting direction: one read, in the middle, changed to a value
// nobody wrote. The pre-check decides it; the key's search still runs for
// the report's prefix. Includes that search, shrinking the violation and
// formatting the report; search_steps and explanation_steps show their cost.
void RunReject(benchmark::State& state, const HistoryShape& shape) {
  std::vector<Operation> history = GenerateLinearizableHistory(20261125, shape);
  size_t bad = history.size() / 2;
  while (history[bad].kind != OpKind::kGet || !history[bad].completed) ++bad;
  history[bad].read_value = std::string("never written");
  const CheckOptions options;
  int64_t explanation_steps = 0;
  int64_t search_steps = 0;
  for (auto _ : state) {
    const absl::StatusOr<CheckResult> result = CheckLinearizability(history, options);
    if (!result.ok() || result->verdict != Verdict::kViolation) {
      state.SkipWithError("the bad read was not caught");
      return;
    }
    explanation_steps = result->explanation_steps;
    search_steps = result->search_steps;
    benchmark::DoNotOptimize(FormatCheckResult(*result));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(history.size()));
  state.counters["explanation_steps"] = static_cast<double>(explanation_steps);
  state.counters["search_steps"] = static_cast<double>(search_steps);
}

void BM_Reject10kOps100KeysOneBadRead(benchmark::State& state) {
  RunReject(state, Shape(10'000, 100, 10));
}
BENCHMARK(BM_Reject10kOps100KeysOneBadRead)->Unit(benchmark::kMillisecond);

// The shrink's worst case here: all 10,000 ops on the violating key.
void BM_Reject10kOps1KeyOneBadRead(benchmark::State& state) {
  RunReject(state, Shape(10'000, 1, 10));
}
BENCHMARK(BM_Reject10kOps1KeyOneBadRead)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kv::properties

BENCHMARK_MAIN();
