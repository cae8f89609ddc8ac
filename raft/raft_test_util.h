#pragma once
// Test helpers for the Raft core (layer: raft/, tests and benchmarks only):
// a cluster of members over MemoryLogStorage with an in-memory message queue
// that the test controls, and a host loop that follows raft.h exactly.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/memory_log_storage.h"
#include "raft/raft.h"

namespace kv::raft::testing {

using ConfigTweak = std::function<void(Config&)>;

// A ConfState with the given voters and learners.
ConfState MakeConfState(const std::vector<uint64_t>& voters,
                        const std::vector<uint64_t>& learners = {});

// A default test config: election 10 ticks, heartbeat 1, pre-vote and
// check-quorum on unless tweaked.
Config TestConfig(uint64_t id, const ConfigTweak& tweak = {});

class TestCluster {
 public:
  // Members `voters` plus `learners`, all starting from the same bootstrap
  // membership. Seeds are derived from the id.
  TestCluster(std::vector<uint64_t> voters, ConfigTweak tweak = {},
              std::vector<uint64_t> learners = {});

  Raft& node(uint64_t id) { return *members_.at(id).raft; }
  MemoryLogStorage& storage(uint64_t id) { return *members_.at(id).storage; }
  std::vector<uint64_t> ids() const;

  // Runs one host iteration for `id` (raft.h steps 1-6). Returns false if
  // the node had nothing ready.
  bool ProcessReady(uint64_t id);
  // Processes every ready and delivers every message until nothing is left.
  void Stabilize();
  // Delivers queued messages once (without processing readies).
  void DeliverAll();
  void Tick(uint64_t id, int ticks = 1);
  void TickAll(int ticks = 1);
  // Elects `id` (Campaign + Stabilize) and checks it became leader.
  void ElectLeader(uint64_t id);
  // Proposes on `id` and stabilizes; checks the proposal was accepted.
  void ProposeAndCommit(uint64_t id, const std::string& command);

  // Drops every message from `from` to `to` until healed.
  void Cut(uint64_t from, uint64_t to) { cut_.insert({from, to}); }
  void Isolate(uint64_t id);
  void Heal() { cut_.clear(); }
  // Drops messages matching the predicate until cleared.
  void SetFilter(std::function<bool(const Message&)> drop) { drop_ = std::move(drop); }

  // Rebuilds `id` from its storage, as after a crash: whatever was not
  // persisted (and the applied state) is lost and re-applied.
  void Restart(uint64_t id);
  // Snapshots `id`'s state machine at its applied index and compacts the log.
  void CompactLog(uint64_t id);

  // Commands applied by `id`, in order (empty entries are skipped).
  const std::vector<std::string>& applied(uint64_t id) const {
    return members_.at(id).applied;
  }
  std::vector<ReadState> TakeReadStates(uint64_t id);
  std::deque<Message>& network() { return network_; }
  uint64_t messages_delivered() const { return messages_delivered_; }

  void CheckInvariants() const;

 private:
  struct Member {
    std::unique_ptr<MemoryLogStorage> storage;
    std::unique_ptr<Raft> raft;
    std::vector<std::string> applied;
    std::vector<ReadState> read_states;
    ConfState conf_state;
    uint64_t applied_index = 0;
  };
  void Build(uint64_t id, uint64_t seed);
  void Apply(Member& member, const Entry& entry);

  ConfigTweak tweak_;
  std::map<uint64_t, Member> members_;
  std::deque<Message> network_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  std::function<bool(const Message&)> drop_;
  uint64_t messages_delivered_ = 0;
  uint64_t restarts_ = 0;
};

// A LogStorage that forwards every call to a MemoryLogStorage: tests
// derive from it to count or fail one kind of call.
class ForwardingLogStorage : public LogStorage {
 public:
  explicit ForwardingLogStorage(MemoryLogStorage& storage) : storage_(storage) {}
  InitialState GetInitialState() const override { return storage_.GetInitialState(); }
  absl::StatusOr<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                             uint64_t max_bytes) const override {
    return storage_.Entries(lo, hi, max_bytes);
  }
  absl::StatusOr<uint64_t> Term(uint64_t index) const override { return storage_.Term(index); }
  uint64_t FirstIndex() const override { return storage_.FirstIndex(); }
  uint64_t LastIndex() const override { return storage_.LastIndex(); }
  SnapshotMetadata GetSnapshotMetadata() const override { return storage_.GetSnapshotMetadata(); }
  absl::StatusOr<std::string> SnapshotChunk(uint64_t snapshot_index, uint64_t offset,
                                            uint64_t max_bytes) const override {
    return storage_.SnapshotChunk(snapshot_index, offset, max_bytes);
  }

 private:
  MemoryLogStorage& storage_;
};

// Snapshot data format of TestCluster: commands joined with '\n'.
std::string EncodeStateMachine(const std::vector<std::string>& commands);
std::vector<std::string> DecodeStateMachine(const std::string& data);

}  // namespace kv::raft::testing
