// Crash at every step: one scripted sequence of log and state-machine writes
// on a SimDisk, rerun from scratch with a crash after each of its events in
// turn (and over several seeds, so crashes keep, drop or tear different
// writes). After each crash, recovery must find, for the log and for the
// state machine each, the state after some prefix of the writes issued that
// includes every acknowledged one.

#include <functional>
#include <map>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/testing/log_model.h"
#include "storage/testing/sim_harness.h"

namespace kv::storage {
namespace {

using testing::LogModel;
using testing::SimHarness;

struct ShardModel {
  uint64_t applied_index = 0;
  std::map<std::string, std::string> values;
  friend bool operator==(const ShardModel&, const ShardModel&) = default;
};
using StateModel = std::map<ShardId, ShardModel>;

// One scripted write: which storage it goes to, how to issue it, and what
// it does to the model.
struct Step {
  bool is_log = true;
  std::function<void(LogStorage&, env::OnDone)> log_write;
  std::function<void(LogModel&)> log_apply;
  std::function<void(StateMachineStorage&, env::OnDone)> state_write;
  std::function<void(StateModel&)> state_apply;
};

Step LogStep(LogWrite write) {
  return Step{true,
              [write](LogStorage& log, env::OnDone done) { log.Write(write, std::move(done)); },
              [write](LogModel& model) { model.Write(write); }, nullptr, nullptr};
}

Step SnapshotStep(LogSnapshot snapshot) {
  return Step{true,
              [snapshot](LogStorage& log, env::OnDone done) {
                log.SaveSnapshot(snapshot, std::move(done));
              },
              [snapshot](LogModel& model) { model.SaveSnapshot(snapshot); }, nullptr, nullptr};
}

Step CompactStep(uint64_t index) {
  return Step{true,
              [index](LogStorage& log, env::OnDone done) { log.Compact(index, std::move(done)); },
              [index](LogModel& model) { model.Compact(index); }, nullptr, nullptr};
}

Step ApplyStep(ShardId shard, uint64_t applied_index, std::vector<Mutation> mutations) {
  return Step{false, nullptr, nullptr,
              [=](StateMachineStorage& state, env::OnDone done) {
                state.Apply(shard, applied_index, mutations, std::move(done));
              },
              [=](StateModel& model) {
                ShardModel& shard_model = model[shard];
                shard_model.applied_index = applied_index;
                for (const Mutation& mutation : mutations) {
                  if (mutation.kind == Mutation::Kind::kPut) {
                    shard_model.values[mutation.key] = mutation.value;
                  } else {
                    shard_model.values.erase(mutation.key);
                  }
                }
              }};
}

Step InstallStep(ShardId shard, ShardImage image) {
  return Step{false, nullptr, nullptr,
              [=](StateMachineStorage& state, env::OnDone done) {
                state.InstallSnapshot(shard, image, std::move(done));
              },
              [=](StateModel& model) {
                ShardModel& shard_model = model[shard];
                shard_model.applied_index = image.applied_index;
                shard_model.values.clear();
                for (const KeyValue& pair : image.pairs) shard_model.values[pair.key] = pair.value;
              }};
}

LogWrite Entries(uint64_t first, uint64_t term, int count, std::optional<HardState> hard_state) {
  LogWrite write;
  write.hard_state = hard_state;
  for (int i = 0; i < count; ++i) {
    const uint64_t index = first + static_cast<uint64_t>(i);
    write.entries.push_back(LogEntry{index, term, absl::StrCat("t", term, "i", index)});
  }
  return write;
}

std::vector<Step> Script() {
  return {
      LogStep(Entries(1, 1, 3, HardState{1, 1, 0})),
      ApplyStep(1, 1, {Mutation::Put("a", "1"), Mutation::Put("b", "1")}),
      LogStep(Entries(4, 1, 3, HardState{1, 1, 3})),
      ApplyStep(1, 2, {Mutation::Delete("a"), Mutation::Put("c", std::string(300, 'c'))}),
      SnapshotStep(LogSnapshot{SnapshotMetadata{3, 1, "conf"}, std::string(200, 's')}),
      LogStep(Entries(5, 2, 2, HardState{2, 2, 4})),  // Replaces the suffix from 5.
      CompactStep(3),
      ApplyStep(2, 7, {Mutation::Put("x", "y")}),
      InstallStep(3, ShardImage{9, {{"k1", "v1"}, {"k2", std::string(100, 'v')}}}),
      LogStep(Entries(7, 2, 4, std::nullopt)),
      ApplyStep(1, 3, {Mutation::Put("b", "3")}),
      SnapshotStep(LogSnapshot{SnapshotMetadata{20, 3, "conf2"}, "received"}),
      LogStep(Entries(21, 3, 2, HardState{3, 0, 20})),
      ApplyStep(3, 10, {Mutation::Delete("k1")}),
  };
}

absl::StatusOr<StateModel> ReadState(StateMachineStorage& state) {
  StateModel model;
  for (ShardId shard : state.Shards()) {
    auto reader = state.ReadSnapshot(shard);
    if (!reader.ok()) return reader.status();
    ShardModel& shard_model = model[shard];
    shard_model.applied_index = (*reader)->applied_index();
    ShardSnapshotAssembler assembler;
    while (!(*reader)->done()) {
      auto chunk = (*reader)->NextChunk(1 << 16);
      if (!chunk.ok()) return chunk.status();
      if (absl::Status added = assembler.AddChunk(*chunk); !added.ok()) return added;
    }
    auto image = std::move(assembler).Finish();
    if (!image.ok()) return image.status();
    for (KeyValue& pair : image->pairs) shard_model.values[pair.key] = std::move(pair.value);
  }
  return model;
}

// Runs the script, issuing one step and then running one event per tick,
// and crashes after `crash_tick` ticks (never, if beyond the end). Returns
// the number of ticks the run had.
int RunAndCrash(uint64_t seed, int crash_tick) {
  SimHarness harness(seed);
  auto log = *harness.OpenLog(1);
  auto state = *harness.OpenStateMachine();
  const std::vector<Step> script = Script();
  std::vector<LogModel> log_history = {LogModel{}};
  std::vector<StateModel> state_history = {StateModel{}};
  size_t log_acknowledged = 0;
  size_t state_acknowledged = 0;
  size_t next_step = 0;
  int tick = 0;
  for (; tick < crash_tick; ++tick) {
    const bool more_steps = next_step < script.size();
    if (more_steps) {
      const Step& step = script[next_step++];
      if (step.is_log) {
        log_history.push_back(log_history.back());
        step.log_apply(log_history.back());
        const size_t number = log_history.size() - 1;
        step.log_write(*log, [&log_acknowledged, number](absl::Status status) {
          ASSERT_TRUE(status.ok()) << status;
          log_acknowledged = number;
        });
      } else {
        state_history.push_back(state_history.back());
        step.state_apply(state_history.back());
        const size_t number = state_history.size() - 1;
        step.state_write(*state, [&state_acknowledged, number](absl::Status status) {
          ASSERT_TRUE(status.ok()) << status;
          state_acknowledged = number;
        });
      }
    }
    const size_t pending = harness.loop().pending_count();
    if (pending > 0) harness.RunSome(1);
    if (!more_steps && pending == 0) break;
  }
  log.reset();
  state.reset();
  harness.Crash();
  auto recovered_log = harness.OpenLog(1);
  auto recovered_state = harness.OpenStateMachine();
  EXPECT_TRUE(recovered_log.ok()) << recovered_log.status();
  EXPECT_TRUE(recovered_state.ok()) << recovered_state.status();
  if (!recovered_log.ok() || !recovered_state.ok()) return tick;
  auto log_model = testing::ReadModel(**recovered_log);
  auto state_model = ReadState(**recovered_state);
  EXPECT_TRUE(log_model.ok()) << log_model.status();
  EXPECT_TRUE(state_model.ok()) << state_model.status();
  if (!log_model.ok() || !state_model.ok()) return tick;
  bool log_found = false;
  for (size_t k = log_acknowledged; k < log_history.size(); ++k) {
    log_found = log_found || log_history[k] == *log_model;
  }
  bool state_found = false;
  for (size_t k = state_acknowledged; k < state_history.size(); ++k) {
    state_found = state_found || state_history[k] == *state_model;
  }
  EXPECT_TRUE(log_found) << "seed " << seed << ", crash at tick " << crash_tick << ": recovered "
                         << *log_model << ", acknowledged " << log_history[log_acknowledged];
  EXPECT_TRUE(state_found) << "seed " << seed << ", crash at tick " << crash_tick
                           << ": state machine does not match an allowed prefix";
  return tick;
}

TEST(SimCrashTest, CrashAtEveryStepRecoversAnAllowedState) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const int ticks = RunAndCrash(seed, 1 << 30);
    ASSERT_GT(ticks, static_cast<int>(Script().size()));
    for (int crash_tick = 0; crash_tick <= ticks; ++crash_tick) {
      RunAndCrash(seed, crash_tick);
      if (HasFailure()) return;
    }
  }
}

// The same seed gives the same run, byte for byte: fault draws, latencies,
// crash cuts and the recovered state. Different seeds give different runs.
std::string RunDigest(uint64_t seed) {
  SimHarness harness(seed);
  SimDiskFaults faults;
  faults.latency_spike_ppm = 200'000;
  faults.read_corruption_ppm = 200'000;
  harness.disk().SetFaults(faults);
  std::ostringstream digest;
  for (int round = 0; round < 4; ++round) {
    auto log = harness.OpenLog(1);
    if (!log.ok()) {
      digest << "open:" << log.status().code() << ";";
      continue;
    }
    const uint64_t next = (*log)->LastIndex() + 1;
    for (uint64_t i = 0; i < 5; ++i) {
      (*log)->Write(LogWrite{std::nullopt, {LogEntry{next + i, 1, std::string(50 + i, 'x')}}},
                    [&digest](absl::Status status) { digest << status.code(); });
    }
    harness.RunSome(round);  // Round 0 crashes before any sync completes.
    auto model = testing::ReadModel(**log);
    digest << "|" << (model.ok() ? (std::ostringstream() << *model).str() : "read failed");
    log->reset();
    harness.Crash();
  }
  const SimDiskCounters& counters = harness.disk().counters();
  digest << "|t=" << harness.loop().NowNs() << " torn=" << counters.torn_writes
         << " lost=" << counters.lost_operations << " spikes=" << counters.latency_spikes
         << " corruptions=" << counters.read_corruptions;
  return digest.str();
}

TEST(SimDeterminismTest, SameSeedSameRun) {
  EXPECT_EQ(RunDigest(11), RunDigest(11));
  EXPECT_EQ(RunDigest(12), RunDigest(12));
  EXPECT_NE(RunDigest(11), RunDigest(12));
}

}  // namespace
}  // namespace kv::storage
