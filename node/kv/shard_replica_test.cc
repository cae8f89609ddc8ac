#include "node/kv/shard_replica.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "node/kv/command_codec.h"
#include "node/kv/testing/manual_node_env.h"
#include "storage/sim_log_storage.h"
#include "storage/sim_state_machine_storage.h"

namespace kv::node {
namespace {

// Counts the answers a replica gives; a lone voter sends no message.
class CountingHost final : public ShardReplica::Host {
 public:
  void SendRaftMessage(uint64_t, const raft::Message&) override { ++messages; }
  void AnswerClient(const ShardReplica::ReplyTo&, const pb::Result&, uint64_t) override { ++answers; }
  int messages = 0;
  int answers = 0;
};

// One replica of shard 1, the only voter of its group, on a manual loop and
// a simulated disk that outlive it, as a host's storage and loop do.
class ShardReplicaLifetimeTest : public ::testing::Test {
 protected:
  explicit ShardReplicaLifetimeTest(uint64_t disk_seed = 11) : world_(disk_seed) {
    Build();
  }

  void Build() {
    auto log = storage::SimLogStorage::Open(world_.disk, 1);
    KV_CHECK(log.ok());
    log_ = *std::move(log);
    auto state = storage::SimStateMachineStorage::Open(world_.disk);
    KV_CHECK(state.ok());
    state_ = *std::move(state);
    options_.shard = 1;
    options_.raft_id = 1;
    options_.voters = {1};
    options_.raft.election_timeout_ticks = 10;
    options_.raft.heartbeat_timeout_ticks = 1;
    replica_ = std::make_unique<ShardReplica>(world_.env, *log_, *state_, options_, host_);
    KV_CHECK(replica_->Start().ok());
  }

  // Crashes the node (unsynced writes are lost) and starts a replica with
  // options_ on what the disk kept.
  absl::Status CrashAndRestart() {
    replica_.reset();
    log_.reset();
    state_.reset();
    loop_.DropAll();
    world_.disk.Crash();
    return Restart();
  }
  absl::Status Restart() {
    replica_.reset();
    log_.reset();
    state_.reset();
    auto log = storage::SimLogStorage::Open(world_.disk, 1);
    if (!log.ok()) return log.status();
    log_ = *std::move(log);
    auto state = storage::SimStateMachineStorage::Open(world_.disk);
    if (!state.ok()) return state.status();
    state_ = *std::move(state);
    replica_ = std::make_unique<ShardReplica>(world_.env, *log_, *state_, options_, host_);
    return replica_->Start();
  }

  // Ticks until the replica elects itself and has applied its term's first
  // entry, so that it accepts writes.
  void BecomeLeader() {
    for (int tick = 0; tick < 100 && !replica_->is_leader(); ++tick) {
      replica_->Tick();
      loop_.RunUntilIdle();
    }
    KV_CHECK(replica_->is_leader());
    loop_.RunUntilIdle();
  }

  void Write(uint64_t sequence) {
    pb::Command command;
    command.set_client_id(5);
    command.set_sequence(sequence);
    command.set_op(pb::OP_PUT);
    command.set_key("k");
    command.set_value("v");
    replica_->Write(FieldsOf(command), ShardReplica::ReplyTo{0, sequence},
                    [&command] { return SerializeCommand(command); });
  }

  ShardReplicaOptions options_;
  testing::ManualNodeEnv world_;
  storage::testing::ManualLoop& loop_ = world_.loop;
  std::unique_ptr<storage::SimLogStorage> log_;
  std::unique_ptr<storage::SimStateMachineStorage> state_;
  CountingHost host_;
  std::unique_ptr<ShardReplica> replica_;
};

TEST_F(ShardReplicaLifetimeTest, WriteIsAnsweredOnceDurableWhileTheReplicaLives) {
  BecomeLeader();
  Write(1);
  loop_.RunUntilIdle();
  EXPECT_EQ(host_.answers, 1);
  EXPECT_FALSE(replica_->failed());
}

TEST_F(ShardReplicaLifetimeTest, StorageCompletionAfterTheReplicaIsGoneDoesNothing) {
  BecomeLeader();
  Write(1);
  // Run until the write's Ready is issued: its log write's completion (and
  // the state machine's) are pending in storage, holding the replica's
  // liveness handle.
  ASSERT_TRUE(loop_.RunUntil([&] { return replica_->ready_in_flight(); }));
  ASSERT_GT(loop_.pending_count(), 0u);
  const size_t registered = world_.env.executor.liveness().registered_count();
  replica_.reset();
  EXPECT_EQ(world_.env.executor.liveness().registered_count(), registered - 1);
  // The completions fire now and find the replica gone: no answer, and
  // under ASan no use of its freed memory.
  loop_.RunUntilIdle();
  EXPECT_EQ(host_.answers, 0);
  EXPECT_EQ(world_.memory.used_bytes(), 0);
}

TEST_F(ShardReplicaLifetimeTest, PostedProcessAfterTheReplicaIsGoneDoesNothing) {
  BecomeLeader();
  // The read queues and posts a Process; the replica goes before it runs.
  replica_->Read("k", ShardReplica::ReplyTo{0, 1});
  ASSERT_GT(loop_.pending_count(), 0u);
  replica_.reset();
  loop_.RunUntilIdle();
  EXPECT_EQ(host_.answers, 0);
  EXPECT_EQ(host_.messages, 0);
}

TEST_F(ShardReplicaLifetimeTest, CompactionKeepsNoCopyOfTheStateAndARestartRebuildsFromIt) {
  options_.compact_threshold_entries = 4;
  ASSERT_TRUE(Restart().ok());
  BecomeLeader();
  for (uint64_t sequence = 1; sequence <= 20; ++sequence) {
    Write(sequence);
    loop_.RunUntilIdle();
  }
  ASSERT_EQ(host_.answers, 20);
  // The log was compacted, and keeps only the compaction point: the state
  // machine holds the state, durably, at least as far.
  const storage::SnapshotMetadata point = log_->snapshot_metadata();
  EXPECT_GT(point.index, 10u);
  EXPECT_LE(point.index, state_->AppliedIndex(1));
  absl::StatusOr<storage::LogSnapshot> stored = log_->LoadSnapshot();
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->data.empty());
  // A crash loses nothing the compaction relied on: the replica starts on
  // what the disk kept and serves again.
  ASSERT_TRUE(CrashAndRestart().ok());
  EXPECT_GE(state_->AppliedIndex(1), point.index);
  BecomeLeader();
  Write(21);
  loop_.RunUntilIdle();
  EXPECT_EQ(host_.answers, 21);
}

TEST_F(ShardReplicaLifetimeTest, AStateBehindALocalCompactionPointRefusesToStart) {
  // Compacted through an index the state machine never stored (what a
  // compaction ahead of the state's durability would leave after a crash):
  // no snapshot data can fill the gap, so the replica must not serve.
  storage::LogWrite write;
  for (uint64_t i = 1; i <= 5; ++i) {
    raft::Entry entry;
    entry.set_index(i);
    entry.set_term(1);
    RaftLogView::ToStorage(entry, write.entries.emplace_back());
  }
  log_->Write(write, [](absl::Status s) { EXPECT_TRUE(s.ok()) << s; });
  storage::LogSnapshot point;
  point.metadata.index = 5;
  point.metadata.term = 1;
  log_->SaveSnapshot(point, [](absl::Status s) { EXPECT_TRUE(s.ok()) << s; });
  loop_.RunUntilIdle();
  const absl::Status started = Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_NE(started.message().find("compacted through 5"), std::string::npos) << started;
}

// A crash right after a compaction was issued, with each file of the disk
// keeping a random prefix of its unsynced writes (drawn from the disk's
// seed): the log may keep its new compaction point and the state machine
// lose its latest applies. The compaction must have waited for the state
// to be durable, or the restarted replica would find its log compacted past
// its state (and refuse to start).
class ReplicaOnSeededDisk final : public ShardReplicaLifetimeTest {
 public:
  explicit ReplicaOnSeededDisk(uint64_t disk_seed) : ShardReplicaLifetimeTest(disk_seed) {}
  void TestBody() override {}
  using ShardReplicaLifetimeTest::BecomeLeader;
  using ShardReplicaLifetimeTest::CrashAndRestart;
  using ShardReplicaLifetimeTest::log_;
  using ShardReplicaLifetimeTest::loop_;
  using ShardReplicaLifetimeTest::options_;
  using ShardReplicaLifetimeTest::Restart;
  using ShardReplicaLifetimeTest::state_;
  using ShardReplicaLifetimeTest::Write;
};

TEST(ShardReplicaCompactionCrashTest, ACrashRightAfterACompactionLosesNothingItReliedOn) {
  for (uint64_t disk_seed = 1; disk_seed <= 40; ++disk_seed) {
    ReplicaOnSeededDisk t(disk_seed);
    t.options_.compact_threshold_entries = 4;
    ASSERT_TRUE(t.Restart().ok());
    t.BecomeLeader();
    bool compacted = false;
    for (uint64_t sequence = 1; sequence <= 40 && !compacted; ++sequence) {
      t.Write(sequence);
      // Stops as soon as the compaction point is issued (visible at once,
      // durable only after the next sync).
      compacted = t.loop_.RunUntil([&t] { return t.log_->snapshot_metadata().index > 0; });
    }
    ASSERT_TRUE(compacted) << "disk seed " << disk_seed;
    const absl::Status restarted = t.CrashAndRestart();
    ASSERT_TRUE(restarted.ok()) << "disk seed " << disk_seed << ": " << restarted;
    EXPECT_GE(t.state_->AppliedIndex(1), t.log_->snapshot_metadata().index) << "disk seed " << disk_seed;
  }
}

}  // namespace
}  // namespace kv::node
