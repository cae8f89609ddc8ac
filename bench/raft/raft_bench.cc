// Throughput of the Raft core (layer: bench/): proposals committed per second
// through Step for a 3-member group, with messages delivered in memory and
// MemoryLogStorage as the "disk". Measures the core plus a minimal host loop
// that follows raft.h; no serialization, no I/O.
//
//   cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-release --target raft_bench
//   build-release/bench/raft/raft_bench
#include <benchmark/benchmark.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raft/memory_log_storage.h"
#include "raft/raft.h"
#include "raft/raft_check.h"

namespace kv::raft {
namespace {

class BenchGroup {
 public:
  explicit BenchGroup(int members) {
    ConfState conf_state;
    for (int id = 1; id <= members; ++id) conf_state.add_voters(id);
    conf_state_ = conf_state;
    for (int id = 1; id <= members; ++id) {
      Member& member = members_[id];
      member.storage = std::make_unique<MemoryLogStorage>(conf_state);
      Config config;
      config.id = id;
      config.max_inflight_msgs = 256;
      member.raft = *Raft::Create(config, member.storage.get(), id);
    }
    RAFT_CHECK(members_.at(1).raft->Campaign().ok());
    Run();
    RAFT_CHECK(members_.at(1).raft->role() == Role::kLeader);
  }

  Raft& leader() { return *members_.at(1).raft; }

  // Host loop until no member has anything left to do.
  void Run() {
    bool any = true;
    while (any) {
      any = false;
      for (auto& [id, member] : members_) any |= Process(member);
      while (!network_.empty()) {
        any = true;
        Message m = std::move(network_.front());
        network_.pop_front();
        RAFT_CHECK(members_.at(m.to()).raft->Step(m).ok());
      }
    }
  }

  uint64_t applied_entries() const { return applied_entries_; }

 private:
  struct Member {
    std::unique_ptr<MemoryLogStorage> storage;
    std::unique_ptr<Raft> raft;
    uint64_t applied_index = 0;
  };

  bool Process(Member& member) {
    if (!member.raft->HasReady()) return false;
    Ready ready = member.raft->GetReady();
    for (Message& m : ready.messages) network_.push_back(std::move(m));
    member.storage->Append(std::move(ready.entries));
    if (ready.hard_state) member.storage->SetHardState(*ready.hard_state);
    for (Message& m : ready.messages_after_persist) {
      network_.push_back(std::move(m));
    }
    if (!ready.committed_entries.empty()) {
      if (member.raft->id() == 1) applied_entries_ += ready.committed_entries.size();
      member.applied_index = ready.committed_entries.back().index();
    }
    member.raft->Advance(ready);
    // Keep memory bounded: compact every 64K applied entries.
    if (member.applied_index >= member.storage->FirstIndex() + (64 << 10)) {
      RAFT_CHECK(member.storage
                     ->CreateSnapshot(member.applied_index, conf_state_, "")
                     .ok());
      RAFT_CHECK(member.storage->Compact(member.applied_index).ok());
    }
    return true;
  }

  ConfState conf_state_;
  std::map<uint64_t, Member> members_;
  std::deque<Message> network_;
  uint64_t applied_entries_ = 0;
};

// Proposes batches of `range(0)` 16-byte commands and runs the group until
// they are committed and applied on the leader.
void BM_CommitThroughput(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  BenchGroup group(3);
  const std::string command(16, 'x');
  std::vector<std::string> commands;
  for (auto _ : state) {
    commands.assign(batch, command);
    RAFT_CHECK(group.leader().Propose(std::move(commands)).ok());
    group.Run();
  }
  state.SetItemsProcessed(static_cast<int64_t>(group.applied_entries()));
  state.counters["entries_per_second"] = benchmark::Counter(
      static_cast<double>(group.applied_entries()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CommitThroughput)->Arg(1)->Arg(16)->Arg(256)->Arg(1024);

// Many single-entry proposals between host iterations: batching happens in
// the core (one MSG_APP carries everything proposed since the last Ready).
void BM_CommitThroughputUnbatchedProposals(benchmark::State& state) {
  const int proposals = static_cast<int>(state.range(0));
  BenchGroup group(3);
  const std::string command(16, 'x');
  for (auto _ : state) {
    for (int i = 0; i < proposals; ++i) {
      RAFT_CHECK(group.leader().Propose(command).ok());
    }
    group.Run();
  }
  state.SetItemsProcessed(static_cast<int64_t>(group.applied_entries()));
}
BENCHMARK(BM_CommitThroughputUnbatchedProposals)->Arg(256);

}  // namespace
}  // namespace kv::raft

BENCHMARK_MAIN();
