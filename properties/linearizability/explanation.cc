#include "properties/linearizability/explanation.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "node/env/check.h"
#include "properties/linearizability/impossible_observation.h"
#include "properties/linearizability/wgl_search.h"

namespace kv::properties {
namespace {

// What a trial does with each op. Only kKeep ops of a completed kind can be
// essential.
enum class Treatment : uint8_t { kKeep, kRelax, kLeaveOut };

// Runs trials that relax a partition step by step, keeping each step that
// leaves a violation, within one step budget.
class Shrinker {
 public:
  static constexpr int64_t kNoCap = std::numeric_limits<int64_t>::max();

  Shrinker(const KeyPartition& partition, int64_t max_steps)
      : partition_(partition),
        max_steps_(max_steps),
        treatments_(partition.ops.size(), Treatment::kKeep),
        last_violation_(partition.ops) {}

  // Applies `changes` (op index, treatment) if the result is still a
  // violation from `initial_state` and returns true; otherwise leaves the
  // treatments as they were. Sets budget_exhausted() if a trial runs out.
  // A trial may be capped below the remaining budget; one that hits its cap
  // counts as "still linearizable" (the change is not kept, which is always
  // sound) and clears is_minimal() if it was deciding whether `changes`
  // (relaxing candidates) were needed, rather than trying a cut.
  bool TryApply(const std::vector<std::pair<int32_t, Treatment>>& changes,
                RegisterState initial_state, int64_t trial_cap_steps = kNoCap,
                bool is_cut = false) {
    if (budget_exhausted_) return false;
    std::vector<Treatment> before = treatments_;
    for (const auto& [op_index, treatment] : changes) treatments_[op_index] = treatment;
    std::vector<PartitionOp> ops = TrialOps();
    // An observation no order allows decides the trial without a search,
    // which would have to exhaust every order around it: on concurrent
    // writes that outlasts a write trial's cap, and the write was kept.
    if (FindImpossibleObservation(ops, partition_.values.size(), initial_state).has_value()) {
      last_violation_ = std::move(ops);
      return true;
    }
    const int64_t remaining = max_steps_ - steps_;
    const bool capped = trial_cap_steps < remaining;
    const SearchOutcome outcome =
        SearchLinearization(ops, capped ? trial_cap_steps : remaining, initial_state);
    steps_ += outcome.steps;
    if (outcome.verdict == Verdict::kViolation) {
      last_violation_ = std::move(ops);
      return true;
    }
    treatments_ = std::move(before);
    if (outcome.verdict == Verdict::kUnknown) {
      if (!is_cut) minimal_ = false;
      if (!capped) {
        budget_exhausted_ = true;
        minimal_ = false;
      }
    }
    return false;
  }

  // Whether op_index is kept as recorded and has an outcome that could
  // conflict (a timed-out op only ever adds possibilities).
  bool IsCandidate(int32_t op_index) const {
    return treatments_[op_index] == Treatment::kKeep && partition_.ops[op_index].op.completed;
  }

  Treatment treatment(int32_t op_index) const { return treatments_[op_index]; }
  int64_t steps() const { return steps_; }
  // False once any trial ran out of steps: some kept op might be relaxable.
  bool is_minimal() const { return minimal_; }
  // The ops of the last trial that was a violation (the partition itself,
  // known to be one from an absent start, if no trial was).
  std::vector<PartitionOp> TakeLastViolation() { return std::move(last_violation_); }
  bool budget_exhausted() const { return budget_exhausted_; }

 private:
  std::vector<PartitionOp> TrialOps() const {
    std::vector<PartitionOp> ops;
    ops.reserve(partition_.ops.size());
    for (size_t op_index = 0; op_index < partition_.ops.size(); ++op_index) {
      switch (treatments_[op_index]) {
        case Treatment::kKeep:
          ops.push_back(partition_.ops[op_index]);
          break;
        case Treatment::kRelax:
          if (const std::optional<PartitionOp> relaxed = RelaxedOp(partition_.ops[op_index])) {
            ops.push_back(*relaxed);
          }
          break;
        case Treatment::kLeaveOut:
          break;
      }
    }
    return ops;
  }

  const KeyPartition& partition_;
  const int64_t max_steps_;
  std::vector<Treatment> treatments_;
  int64_t steps_ = 0;
  bool budget_exhausted_ = false;
  bool minimal_ = true;
  std::vector<PartitionOp> last_violation_;
};

using Changes = std::vector<std::pair<int32_t, Treatment>>;

// Steps allowed for one trial that relaxes a write (see step 3), and for
// one window trial (step 1): a window that needs more is not short.
constexpr int64_t kWriteTrialSteps = 20'000;
constexpr int64_t kWindowTrialSteps = 1'000'000;

// Leaves out ops called after `time_ns` and relaxes those still running then.
Changes CutAfter(const KeyPartition& partition, int64_t time_ns) {
  Changes changes;
  for (int32_t op_index = 0; op_index < static_cast<int32_t>(partition.ops.size()); ++op_index) {
    const PartitionOp& op = partition.ops[op_index];
    if (op.call_ns > time_ns) {
      changes.push_back({op_index, Treatment::kLeaveOut});
    } else if (op.return_ns > time_ns) {
      changes.push_back({op_index, Treatment::kRelax});
    }
  }
  return changes;
}

// Leaves out ops that returned before `time_ns` and relaxes those running
// across it. Only sound together with an unknown start.
Changes CutBefore(const KeyPartition& partition, int64_t time_ns) {
  Changes changes;
  for (int32_t op_index = 0; op_index < static_cast<int32_t>(partition.ops.size()); ++op_index) {
    const PartitionOp& op = partition.ops[op_index];
    if (op.call_ns >= time_ns) continue;
    changes.push_back(
        {op_index, op.return_ns < time_ns ? Treatment::kLeaveOut : Treatment::kRelax});
  }
  return changes;
}

}  // namespace

std::optional<PartitionOp> RelaxedOp(const PartitionOp& op) {
  if (!op.op.completed) return op;  // Already as relaxed as it gets.
  // A read or a failed CAS changes nothing; it only constrains.
  if (op.op.kind == OpKind::kGet) return std::nullopt;
  if (op.op.kind == OpKind::kCas && !op.op.cas_succeeded) return std::nullopt;
  PartitionOp relaxed = op;
  relaxed.op.completed = false;
  relaxed.return_ns = kNeverReturnedNs;
  return relaxed;
}

ViolationExplanation ExplainViolation(const KeyPartition& partition, int32_t overdue_op,
                                      int64_t max_steps) {
  KV_CHECK_GE(max_steps, 0);
  const int32_t op_count = static_cast<int32_t>(partition.ops.size());
  Shrinker shrinker(partition, max_steps);
  ViolationExplanation explanation;
  explanation.initial_state = kAbsent;

  // 1. Cut around the failure. Proving a violation means exhausting every
  // configuration before it, so trials on a long key are slow however few
  // ops the conflict needs; a short window makes every later trial cheap.
  // Nothing called after the failure matters to it, usually; and from an
  // unknown start, neither does most of the past: try windows of 16, 32, ...
  // ops called before the failure, then the whole past, then the absent
  // start, then no cut at all (the original, known to be a violation).
  bool cut = false;
  if (overdue_op >= 0) {
    const int64_t failure_ns = partition.ops[overdue_op].return_ns;
    const Changes after = CutAfter(partition, failure_ns);
    int32_t window_end = 0;  // Ops [0, window_end) were called by the failure.
    while (window_end < op_count && partition.ops[window_end].call_ns <= failure_ns) {
      ++window_end;
    }
    for (int32_t width = 16; width < window_end && !cut; width *= 2) {
      Changes changes = after;
      const Changes before = CutBefore(partition, partition.ops[window_end - width].call_ns);
      changes.insert(changes.end(), before.begin(), before.end());
      cut = shrinker.TryApply(changes, kUnknownValue, kWindowTrialSteps, /*is_cut=*/true);
      if (shrinker.budget_exhausted()) break;
    }
    if (cut) {
      explanation.initial_state = kUnknownValue;
    } else if (shrinker.TryApply(after, kUnknownValue)) {
      explanation.initial_state = kUnknownValue;
    } else {
      shrinker.TryApply(after, kAbsent);
    }
  }

  // 2. Reads and failed CASes only constrain, so leaving them out keeps the
  // search small: delta debugging over them, in halving chunks, latest call
  // first, ending with single ops. Relaxing is monotone (a change that
  // resolved the conflict once resolves it with more relaxed), so one pass of
  // single ops decides each of them for good.
  std::vector<int32_t> readers;
  for (int32_t op_index = op_count - 1; op_index >= 0; --op_index) {
    if (shrinker.IsCandidate(op_index) && !RelaxedOp(partition.ops[op_index]).has_value()) {
      readers.push_back(op_index);
    }
  }
  for (size_t chunk_size = std::max<size_t>(1, readers.size() / 2);; chunk_size /= 2) {
    for (size_t begin = 0; begin < readers.size() && !shrinker.budget_exhausted();
         begin += chunk_size) {
      Changes chunk;
      for (size_t at = begin; at < std::min(readers.size(), begin + chunk_size); ++at) {
        if (shrinker.IsCandidate(readers[at])) chunk.push_back({readers[at], Treatment::kRelax});
      }
      if (!chunk.empty()) shrinker.TryApply(chunk, explanation.initial_state);
    }
    if (chunk_size <= 1) break;
  }
  // 3. Writes, one at a time: each one relaxed stays pending to the end of
  // every later search, so relaxing many at once can make the search
  // exponential. A capped trial keeps the write, which is sound.
  for (int32_t op_index = op_count - 1; op_index >= 0 && !shrinker.budget_exhausted();
       --op_index) {
    if (!shrinker.IsCandidate(op_index)) continue;
    shrinker.TryApply({{op_index, Treatment::kRelax}}, explanation.initial_state,
                      kWriteTrialSteps);
  }

  for (int32_t op_index = 0; op_index < op_count; ++op_index) {
    if (shrinker.IsCandidate(op_index)) explanation.essential_ops.push_back(op_index);
  }
  explanation.minimal = shrinker.is_minimal();
  explanation.steps = shrinker.steps();
  explanation.relaxed_history = shrinker.TakeLastViolation();
  // Relaxing every completed op leaves nothing that can conflict.
  if (explanation.minimal) KV_CHECK(!explanation.essential_ops.empty());
  KV_CHECK_LE(explanation.steps, max_steps);
  return explanation;
}

}  // namespace kv::properties
