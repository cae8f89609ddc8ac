#include "properties/linearizability/history_generator.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/random.h"

namespace kv::properties {
namespace {

// The reference: a plain sequential map, applied in linearization order.
using TrueMap = std::map<std::string, std::string>;

std::optional<std::string> Lookup(const TrueMap& map, const std::string& key) {
  const auto it = map.find(key);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

// Draws an operation's kind and inputs and, if it takes effect, applies it
// to `map` and fills in its outputs.
Operation DrawAndApply(env::Random& random, const HistoryShape& shape, int32_t sequence,
                       bool takes_effect, TrueMap* map) {
  Operation operation;
  operation.key = absl::StrCat("k", random.Uniform(static_cast<uint64_t>(shape.key_count)));
  const auto draw_value = [&] {
    return shape.value_count == 0
               ? absl::StrCat("v", sequence)
               : absl::StrCat("v", random.Uniform(static_cast<uint64_t>(shape.value_count)));
  };
  const std::optional<std::string> current = Lookup(*map, operation.key);
  const uint64_t roll = random.Uniform(100);
  if (roll < 40) {
    operation.kind = OpKind::kGet;
    operation.read_value = current;
  } else if (roll < 70) {
    operation.kind = OpKind::kPut;
    operation.value = draw_value();
    if (takes_effect) (*map)[operation.key] = operation.value;
  } else if (roll < 80) {
    operation.kind = OpKind::kDelete;
    if (takes_effect) map->erase(operation.key);
  } else {
    operation.kind = OpKind::kCas;
    operation.value = draw_value();
    // Half the time expect the true value, so that CAS often succeeds.
    if (random.Chance(1, 2)) {
      operation.expected = current;
    } else if (random.Chance(1, 2)) {
      operation.expected = draw_value();
    }
    operation.cas_succeeded = operation.expected == current;
    if (takes_effect && operation.cas_succeeded) (*map)[operation.key] = operation.value;
  }
  return operation;
}

}  // namespace

std::vector<Operation> GenerateLinearizableHistory(uint64_t seed, const HistoryShape& shape) {
  KV_CHECK_GE(shape.operation_count, 0);
  KV_CHECK_GE(shape.key_count, 1);
  KV_CHECK_GE(shape.client_count, 1);
  KV_CHECK_GE(shape.max_latency_ns, 0);
  KV_CHECK_GE(shape.value_count, 0);
  env::Random random(seed);
  TrueMap map;
  // free_at_ns[c]: the earliest time client c may call again.
  std::vector<int64_t> free_at_ns(shape.client_count, 0);
  // Spacing points by about latency / clients keeps every client busy, so
  // roughly client_count operations overlap at any time.
  const int64_t mean_gap_ns = std::max<int64_t>(1, shape.max_latency_ns / shape.client_count);
  std::vector<Operation> history;
  history.reserve(shape.operation_count);
  int64_t point_ns = 0;
  for (int32_t sequence = 0; sequence < shape.operation_count; ++sequence) {
    // The client that is free first (lowest id on ties) takes the next op.
    const auto client_it = std::min_element(free_at_ns.begin(), free_at_ns.end());
    const int32_t client = static_cast<int32_t>(client_it - free_at_ns.begin());
    point_ns = std::max(point_ns + 1 + random.UniformRange(0, 2 * mean_gap_ns), *client_it);
    const bool times_out = random.Chance(shape.timeout_ppm, 1'000'000);
    const bool takes_effect = !times_out || random.Chance(1, 2);
    Operation operation = DrawAndApply(random, shape, sequence, takes_effect, &map);
    operation.client_id = client;
    operation.call_ns =
        random.UniformRange(std::max(*client_it, point_ns - shape.max_latency_ns), point_ns);
    operation.return_ns = point_ns + random.UniformRange(0, shape.max_latency_ns);
    if (times_out) {
      // The client gives up at its own deadline and moves on.
      free_at_ns[client] = point_ns + shape.max_latency_ns + 1;
      operation = TimedOut(std::move(operation));
    } else {
      free_at_ns[client] = operation.return_ns + 1;
    }
    history.push_back(std::move(operation));
  }
  // Call order is how a recorder would log them; ties by point order.
  std::stable_sort(history.begin(), history.end(),
                   [](const Operation& a, const Operation& b) { return a.call_ns < b.call_ns; });
  return history;
}

}  // namespace kv::properties
