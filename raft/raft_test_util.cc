#include "raft/raft_test_util.h"

#include "raft/raft_check.h"

namespace kv::raft::testing {

ConfState MakeConfState(const std::vector<uint64_t>& voters,
                        const std::vector<uint64_t>& learners) {
  ConfState conf_state;
  for (uint64_t id : voters) conf_state.add_voters(id);
  for (uint64_t id : learners) conf_state.add_learners(id);
  return conf_state;
}

Config TestConfig(uint64_t id, const ConfigTweak& tweak) {
  Config config;
  config.id = id;
  config.election_timeout_ticks = 10;
  config.heartbeat_timeout_ticks = 1;
  if (tweak) tweak(config);
  return config;
}

std::string EncodeStateMachine(const std::vector<std::string>& commands) {
  std::string data;
  for (const std::string& command : commands) {
    data += command;
    data += '\n';
  }
  return data;
}

std::vector<std::string> DecodeStateMachine(const std::string& data) {
  std::vector<std::string> commands;
  size_t start = 0;
  while (start < data.size()) {
    const size_t end = data.find('\n', start);
    RAFT_CHECK(end != std::string::npos);
    commands.push_back(data.substr(start, end - start));
    start = end + 1;
  }
  return commands;
}

TestCluster::TestCluster(std::vector<uint64_t> voters, ConfigTweak tweak,
                         std::vector<uint64_t> learners)
    : tweak_(std::move(tweak)) {
  const ConfState conf_state = MakeConfState(voters, learners);
  std::vector<uint64_t> all = voters;
  all.insert(all.end(), learners.begin(), learners.end());
  for (uint64_t id : all) {
    Member& member = members_[id];
    member.storage = std::make_unique<MemoryLogStorage>(conf_state);
    member.conf_state = conf_state;
    Build(id, id);
  }
}

void TestCluster::Build(uint64_t id, uint64_t seed) {
  Member& member = members_.at(id);
  absl::StatusOr<std::unique_ptr<Raft>> raft =
      Raft::Create(TestConfig(id, tweak_), member.storage.get(), seed);
  RAFT_CHECK(raft.ok());
  member.raft = std::move(*raft);
  member.applied = DecodeStateMachine(member.storage->snapshot().data());
  member.applied_index = member.storage->snapshot().metadata().index();
  member.conf_state = member.storage->snapshot().metadata().conf_state();
}

std::vector<uint64_t> TestCluster::ids() const {
  std::vector<uint64_t> result;
  for (const auto& [id, member] : members_) result.push_back(id);
  return result;
}

void TestCluster::Apply(Member& member, const Entry& entry) {
  if (entry.type() == ENTRY_CONF_CHANGE) {
    ConfChange change;
    RAFT_CHECK(change.ParseFromString(entry.data()));
    member.conf_state = member.raft->ApplyConfChange(change);
  } else if (!entry.data().empty()) {
    member.applied.push_back(entry.data());
  }
  member.applied_index = entry.index();
}

bool TestCluster::ProcessReady(uint64_t id) {
  Member& member = members_.at(id);
  if (!member.raft->HasReady()) return false;
  Ready ready = member.raft->GetReady();
  for (Message& m : ready.messages) network_.push_back(std::move(m));
  if (ready.snapshot) {
    absl::Status applied = member.storage->ApplySnapshot(*ready.snapshot);
    RAFT_CHECK(applied.ok());
    member.applied = DecodeStateMachine(ready.snapshot->data());
    member.applied_index = ready.snapshot->metadata().index();
    member.conf_state = ready.snapshot->metadata().conf_state();
  }
  member.storage->Append(std::move(ready.entries));
  if (ready.hard_state) member.storage->SetHardState(*ready.hard_state);
  for (Message& m : ready.messages_after_persist) network_.push_back(std::move(m));
  for (const Entry& entry : ready.committed_entries) Apply(member, entry);
  for (const ReadState& read : ready.read_states) {
    member.read_states.push_back(read);
  }
  member.raft->Advance(ready);
  return true;
}

void TestCluster::DeliverAll() {
  std::deque<Message> batch;
  batch.swap(network_);
  for (const Message& m : batch) {
    if (cut_.count({m.from(), m.to()}) != 0) continue;
    if (drop_ && drop_(m)) continue;
    auto it = members_.find(m.to());
    if (it == members_.end()) continue;
    absl::Status stepped = it->second.raft->Step(m);
    RAFT_CHECK(stepped.ok());
    ++messages_delivered_;
  }
}

void TestCluster::Stabilize() {
  for (int round = 0; round < 10000; ++round) {
    bool any = false;
    for (auto& [id, member] : members_) any |= ProcessReady(id);
    if (!network_.empty()) {
      any = true;
      DeliverAll();
    }
    CheckInvariants();
    if (!any) return;
  }
  RAFT_CHECK(false);  // Did not converge.
}

void TestCluster::Tick(uint64_t id, int ticks) {
  for (int i = 0; i < ticks; ++i) node(id).Tick();
}

void TestCluster::TickAll(int ticks) {
  for (int i = 0; i < ticks; ++i) {
    for (auto& [id, member] : members_) member.raft->Tick();
  }
}

void TestCluster::ElectLeader(uint64_t id) {
  absl::Status campaign = node(id).Campaign();
  RAFT_CHECK(campaign.ok());
  Stabilize();
  RAFT_CHECK(node(id).role() == Role::kLeader);
}

void TestCluster::ProposeAndCommit(uint64_t id, const std::string& command) {
  absl::Status proposed = node(id).Propose(command);
  RAFT_CHECK(proposed.ok());
  Stabilize();
}

void TestCluster::Isolate(uint64_t id) {
  for (const auto& [other, member] : members_) {
    if (other == id) continue;
    Cut(id, other);
    Cut(other, id);
  }
}

void TestCluster::Restart(uint64_t id) {
  ++restarts_;
  Build(id, id + 1000 * restarts_);
}

void TestCluster::CompactLog(uint64_t id) {
  Member& member = members_.at(id);
  absl::Status created = member.storage->CreateSnapshot(
      member.applied_index, member.conf_state,
      EncodeStateMachine(member.applied));
  RAFT_CHECK(created.ok());
  absl::Status compacted = member.storage->Compact(member.applied_index);
  RAFT_CHECK(compacted.ok());
}

std::vector<ReadState> TestCluster::TakeReadStates(uint64_t id) {
  std::vector<ReadState> result;
  result.swap(members_.at(id).read_states);
  return result;
}

void TestCluster::CheckInvariants() const {
  for (const auto& [id, member] : members_) member.raft->CheckInvariants();
}

}  // namespace kv::raft::testing
