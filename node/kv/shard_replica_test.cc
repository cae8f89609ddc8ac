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
  ShardReplicaLifetimeTest() {
    auto log = storage::SimLogStorage::Open(world_.disk, 1);
    KV_CHECK(log.ok());
    log_ = *std::move(log);
    auto state = storage::SimStateMachineStorage::Open(world_.disk);
    KV_CHECK(state.ok());
    state_ = *std::move(state);
    ShardReplicaOptions options;
    options.shard = 1;
    options.raft_id = 1;
    options.voters = {1};
    options.raft.election_timeout_ticks = 10;
    options.raft.heartbeat_timeout_ticks = 1;
    replica_ = std::make_unique<ShardReplica>(world_.env, *log_, *state_, options, host_);
    KV_CHECK(replica_->Start().ok());
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

}  // namespace
}  // namespace kv::node
