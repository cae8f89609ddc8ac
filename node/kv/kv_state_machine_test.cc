#include "node/kv/kv_state_machine.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/node_context.h"
#include "sim/scheduler.h"
#include "sim/sim_clock.h"
#include "storage/sim_disk.h"
#include "storage/sim_state_machine_storage.h"
#include "raft/kept_buffer.h"

namespace kv::node {
namespace {

// The simulated storage, recording the mutations of every Apply as they
// were when storage read them (during the call).
class RecordingStorage : public storage::StateMachineStorage {
 public:
  explicit RecordingStorage(storage::StateMachineStorage& inner) : inner_(inner) {}

  void Apply(storage::ShardId shard, uint64_t applied_index,
             absl::Span<const storage::Mutation> mutations, env::OnDone on_done) override {
    batches.emplace_back(mutations.begin(), mutations.end());
    inner_.Apply(shard, applied_index, mutations, std::move(on_done));
  }
  absl::StatusOr<std::optional<std::string>> Get(storage::ShardId shard, absl::string_view key) override {
    return inner_.Get(shard, key);
  }
  absl::StatusOr<bool> GetInto(storage::ShardId shard, absl::string_view key, std::string& value) override {
    return inner_.GetInto(shard, key, value);
  }
  uint64_t AppliedIndex(storage::ShardId shard) const override { return inner_.AppliedIndex(shard); }
  std::vector<storage::ShardId> Shards() const override { return inner_.Shards(); }
  absl::StatusOr<std::unique_ptr<storage::ShardSnapshotReader>> ReadSnapshot(
      storage::ShardId shard) override {
    return inner_.ReadSnapshot(shard);
  }
  void InstallSnapshot(storage::ShardId shard, storage::ShardImage image, env::OnDone on_done) override {
    inner_.InstallSnapshot(shard, std::move(image), std::move(on_done));
  }

  std::vector<std::vector<storage::Mutation>> batches;

 private:
  storage::StateMachineStorage& inner_;
};

// A state machine over the simulated disk, with helpers to apply commands as
// committed Raft entries.
class KvStateMachineTest : public ::testing::Test {
 protected:
  KvStateMachineTest()
      : node_(scheduler_, 0), clock_(scheduler_, node_, 0, 0), disk_(clock_, env::Random(1)) {
    auto storage = storage::SimStateMachineStorage::Open(disk_);
    EXPECT_TRUE(storage.ok());
    storage_ = *std::move(storage);
    recorder_ = std::make_unique<RecordingStorage>(*storage_);
    Reopen();
  }

  void Reopen(KvLimits limits = {}) {
    machine_ = std::make_unique<KvStateMachine>(*recorder_, 1, limits);
    ASSERT_TRUE(machine_->Load().ok());
  }

  static pb::Command Command(pb::Op op, uint64_t client, uint64_t sequence, std::string key,
                             std::string value = "", std::optional<std::string> expected = std::nullopt) {
    pb::Command c;
    c.set_op(op);
    c.set_client_id(client);
    c.set_sequence(sequence);
    c.set_key(std::move(key));
    c.set_value(std::move(value));
    if (op == pb::OP_CAS) {
      if (expected.has_value()) {
        c.set_expected(*expected);
      } else {
        c.set_expect_absent(true);
      }
    }
    return c;
  }

  // Applies `commands` as one batch of entries; returns their results.
  // `odd_prefix` is put before the data of every other entry (the second,
  // fourth...).
  std::vector<pb::Result> Apply(const std::vector<pb::Command>& commands,
                                absl::string_view odd_prefix = "") {
    std::vector<raft::Entry> entries;
    for (const pb::Command& c : commands) {
      raft::Entry e;
      e.set_index(++index_);
      e.set_term(1);
      e.set_data(absl::StrCat(entries.size() % 2 == 1 ? odd_prefix : "", c.SerializeAsString()));
      entries.push_back(std::move(e));
    }
    std::vector<KvStateMachine::Applied> applied;
    bool durable = false;
    absl::StatusOr<size_t> count =
        machine_->ApplyBatch(entries, applied, [&](absl::Status s) { durable = s.ok(); });
    EXPECT_TRUE(count.ok());
    scheduler_.RunUntil(scheduler_.now_ns() + env::kSecond);
    EXPECT_TRUE(durable);
    std::vector<pb::Result> results;
    for (size_t i = 0; count.ok() && i < *count; ++i) results.push_back(applied[i].result);
    return results;
  }

  std::optional<std::string> Value(const std::string& key) {
    absl::StatusOr<pb::Result> r = machine_->Read(key);
    EXPECT_TRUE(r.ok());
    if (!r.ok() || !r->found()) return std::nullopt;
    return r->value();
  }

  sim::Scheduler scheduler_;
  sim::NodeContext node_;
  sim::SimClock clock_;
  storage::SimDisk disk_;
  std::unique_ptr<storage::SimStateMachineStorage> storage_;
  std::unique_ptr<RecordingStorage> recorder_;
  std::unique_ptr<KvStateMachine> machine_;
  uint64_t index_ = 0;
};

TEST_F(KvStateMachineTest, PutThenDeleteThenDeleteAgain) {
  auto r = Apply({Command(pb::OP_PUT, 1, 1, "a", "x"), Command(pb::OP_DELETE, 1, 2, "a"),
                  Command(pb::OP_DELETE, 1, 3, "a")});
  EXPECT_EQ(r[0].code(), pb::CODE_OK);
  EXPECT_EQ(r[1].code(), pb::CODE_OK);
  EXPECT_EQ(r[2].code(), pb::CODE_NOT_FOUND);
  EXPECT_EQ(Value("a"), std::nullopt);
}

// The state machine keeps its mutations and touched keys, strings and all,
// from batch to batch: what a batch hands storage must hold nothing of the
// last one (a delete's value stays empty after a long put, a short value
// replaces a long one, keys grow and shrink).
TEST_F(KvStateMachineTest, EachBatchHandsStorageOnlyItsOwnMutations) {
  auto session_bytes = [](uint64_t sequence, uint64_t last_index) {
    pb::Session session;
    session.set_sequence(sequence);
    session.mutable_result()->set_code(pb::CODE_OK);
    session.set_last_index(last_index);
    return session.SerializeAsString();
  };
  using storage::Mutation;
  Apply({Command(pb::OP_PUT, 1, 1, "a", std::string(100, 'v')),
         Command(pb::OP_PUT, 2, 1, "bcd", std::string(200, 'w'))});
  ASSERT_EQ(recorder_->batches.size(), 1u);
  EXPECT_EQ(recorder_->batches.back(),
            (std::vector<Mutation>{Mutation::Put("da", std::string(100, 'v')),
                                   Mutation::Put(SessionKey(1), session_bytes(1, index_ - 1)),
                                   Mutation::Put("dbcd", std::string(200, 'w')),
                                   Mutation::Put(SessionKey(2), session_bytes(1, index_))}));
  Apply({Command(pb::OP_DELETE, 1, 2, "a")});
  ASSERT_EQ(recorder_->batches.size(), 2u);
  EXPECT_EQ(recorder_->batches.back(),
            (std::vector<Mutation>{Mutation::Delete("da"),
                                   Mutation::Put(SessionKey(1), session_bytes(2, index_))}));
  Apply({Command(pb::OP_PUT, 2, 2, "bcd", "x")});
  ASSERT_EQ(recorder_->batches.size(), 3u);
  EXPECT_EQ(recorder_->batches.back(),
            (std::vector<Mutation>{Mutation::Put("dbcd", "x"),
                                   Mutation::Put(SessionKey(2), session_bytes(2, index_))}));
  Apply({Command(pb::OP_CAS, 1, 3, "a", "y", std::nullopt)});
  ASSERT_EQ(recorder_->batches.size(), 4u);
  EXPECT_EQ(recorder_->batches.back(),
            (std::vector<Mutation>{Mutation::Put("da", "y"),
                                   Mutation::Put(SessionKey(1), session_bytes(3, index_))}));
  EXPECT_EQ(Value("a"), "y");
  EXPECT_EQ(Value("bcd"), "x");
}

TEST_F(KvStateMachineTest, CasSucceedsOnlyAgainstTheCurrentValue) {
  auto r = Apply({Command(pb::OP_CAS, 1, 1, "k", "v1", std::nullopt),   // Absent: ok.
                  Command(pb::OP_CAS, 1, 2, "k", "v2", std::nullopt),   // Not absent now.
                  Command(pb::OP_CAS, 1, 3, "k", "v3", "wrong"),
                  Command(pb::OP_CAS, 1, 4, "k", "v4", "v1")});
  EXPECT_EQ(r[0].code(), pb::CODE_OK);
  EXPECT_EQ(r[1].code(), pb::CODE_CAS_MISMATCH);
  EXPECT_EQ(r[1].value(), "v1");  // A mismatch reports what is there.
  EXPECT_EQ(r[2].code(), pb::CODE_CAS_MISMATCH);
  EXPECT_EQ(r[3].code(), pb::CODE_OK);
  EXPECT_EQ(Value("k"), "v4");
}

TEST_F(KvStateMachineTest, BatchSeesItsOwnWritesAcrossInterleavedKeys) {
  Apply({Command(pb::OP_PUT, 1, 1, "c", "stored")});
  // Keys out of order and repeated: each command sees the batch's earlier
  // writes to its key, whichever commands came between.
  auto r = Apply({Command(pb::OP_PUT, 1, 2, "b", "1"), Command(pb::OP_PUT, 2, 1, "a", "2"),
                  Command(pb::OP_CAS, 3, 1, "b", "3", "1"), Command(pb::OP_CAS, 4, 1, "a", "5", "x"),
                  Command(pb::OP_DELETE, 5, 1, "c"), Command(pb::OP_DELETE, 6, 1, "c"),
                  Command(pb::OP_CAS, 7, 1, "c", "6", std::nullopt)});
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[0].code(), pb::CODE_OK);
  EXPECT_EQ(r[1].code(), pb::CODE_OK);
  EXPECT_EQ(r[2].code(), pb::CODE_OK);
  EXPECT_EQ(r[3].code(), pb::CODE_CAS_MISMATCH);
  EXPECT_EQ(r[3].value(), "2");
  EXPECT_EQ(r[4].code(), pb::CODE_OK);
  EXPECT_EQ(r[5].code(), pb::CODE_NOT_FOUND);
  EXPECT_EQ(r[6].code(), pb::CODE_OK);
  EXPECT_EQ(Value("a"), "2");
  EXPECT_EQ(Value("b"), "3");
  EXPECT_EQ(Value("c"), "6");
}

// A batch's writes are seen through the commands that made them (not
// copied into the touched key's buffers), for that batch only: the next
// batch, whose first key reuses the same per-batch slot, sees the stored
// value it reads, not the last batch's write.
TEST_F(KvStateMachineTest, ABatchSeesItsOwnWritesAndTheNextOneSeesStoredValues) {
  Apply({Command(pb::OP_PUT, 1, 1, "c", "stored")});
  auto first = Apply({Command(pb::OP_PUT, 2, 1, "a", "written"),
                      Command(pb::OP_CAS, 3, 1, "a", "again", "written")});
  EXPECT_EQ(first[1].code(), pb::CODE_OK);
  auto second = Apply({Command(pb::OP_CAS, 4, 1, "c", "new", "stored"),
                       Command(pb::OP_CAS, 5, 1, "c", "newer", "stored")});
  EXPECT_EQ(second[0].code(), pb::CODE_OK);
  EXPECT_EQ(second[1].code(), pb::CODE_CAS_MISMATCH);
  EXPECT_EQ(second[1].value(), "new");
  EXPECT_EQ(Value("a"), "again");
  EXPECT_EQ(Value("c"), "new");
}

// Commands the hand reader declines (here, for an unknown field before the
// others, so it reads none of them) are parsed
// by protobuf and apply alike, mixed in a batch with ones it reads, on
// shared keys short enough to live inside their strings (views into a moved
// message would dangle).
TEST_F(KvStateMachineTest, CommandsOnlyProtobufReadsApplyAlike) {
  const std::string unknown_field("\x78\x01", 2);  // Field 15, varint 1.
  std::vector<pb::Command> batch;
  for (int i = 0; i < 40; ++i) {
    batch.push_back(Command(pb::OP_PUT, 1, i + 1, absl::StrCat("k", i % 3), absl::StrCat("v", i)));
  }
  batch.push_back(Command(pb::OP_PUT, 2, 1, "k1", "x"));  // Read by hand.
  batch.push_back(Command(pb::OP_CAS, 3, 1, "k0", "new", "v39"));  // Parsed by protobuf.
  batch.push_back(Command(pb::OP_DELETE, 4, 1, "k2"));
  batch.push_back(Command(pb::OP_CAS, 5, 1, "k1", "y", "v37"));
  const std::vector<pb::Result> r = Apply(batch, unknown_field);
  ASSERT_EQ(r.size(), 44u);
  for (int i = 0; i < 43; ++i) EXPECT_EQ(r[i].code(), pb::CODE_OK) << i;
  EXPECT_EQ(r[43].code(), pb::CODE_CAS_MISMATCH);
  EXPECT_EQ(r[43].value(), "x");
  EXPECT_EQ(Value("k0"), "new");
  EXPECT_EQ(Value("k1"), "x");
  EXPECT_EQ(Value("k2"), std::nullopt);
}

TEST_F(KvStateMachineTest, LargeBatchesApplyLikeSmallOnes) {
  // More commands than the per-batch buffers keep between batches, on a
  // few keys: the last write to each key wins, and later batches still work.
  std::vector<pb::Command> batch;
  for (uint64_t i = 0; i < 200; ++i) {
    batch.push_back(Command(pb::OP_PUT, 100 + i, 1, absl::StrCat("k", i % 7), absl::StrCat(i)));
  }
  auto r = Apply(batch);
  ASSERT_EQ(r.size(), 200u);
  for (const pb::Result& result : r) EXPECT_EQ(result.code(), pb::CODE_OK);
  for (uint64_t k = 0; k < 7; ++k) {
    uint64_t last = k;  // The last i < 200 with i % 7 == k.
    while (last + 7 < 200) last += 7;
    EXPECT_EQ(Value(absl::StrCat("k", k)), absl::StrCat(last)) << k;
  }
  auto after = Apply({Command(pb::OP_CAS, 1, 1, "k0", "x", "196")});
  EXPECT_EQ(after[0].code(), pb::CODE_OK);
  EXPECT_EQ(Value("k0"), "x");
}

TEST_F(KvStateMachineTest, RetriedWriteIsAppliedOnceAndGetsTheSameAnswer) {
  Apply({Command(pb::OP_PUT, 7, 1, "n", "0")});
  // A CAS retried (same client and sequence) after it applied: the retry,
  // committed again at a later index, must not apply a second time.
  auto first = Apply({Command(pb::OP_CAS, 7, 2, "n", "1", "0")});
  auto retry = Apply({Command(pb::OP_CAS, 7, 2, "n", "1", "0")});
  EXPECT_EQ(first[0].code(), pb::CODE_OK);
  EXPECT_EQ(retry[0].code(), pb::CODE_OK);  // The recorded result, not a mismatch.
  EXPECT_EQ(Value("n"), "1");
  EXPECT_EQ(machine_->deduplicated_count(), 1u);
  // A retry of an older write is refused.
  auto stale = Apply({Command(pb::OP_PUT, 7, 1, "n", "0")});
  EXPECT_EQ(stale[0].code(), pb::CODE_STALE_SEQUENCE);
  EXPECT_EQ(Value("n"), "1");
}

TEST_F(KvStateMachineTest, SessionsSurviveARestart) {
  Apply({Command(pb::OP_PUT, 9, 1, "s", "a")});
  Reopen();  // A new process over the same storage.
  auto retry = Apply({Command(pb::OP_PUT, 9, 1, "s", "b")});
  EXPECT_EQ(retry[0].code(), pb::CODE_OK);
  EXPECT_EQ(Value("s"), "a");  // Deduplicated, not re-applied.
  EXPECT_EQ(machine_->applied_index(), index_);
}

TEST_F(KvStateMachineTest, SessionTableIsBoundedAndEvictsTheOldest) {
  KvLimits limits;
  limits.max_sessions = 2;
  Reopen(limits);
  Apply({Command(pb::OP_PUT, 1, 1, "a", "1"), Command(pb::OP_PUT, 2, 1, "b", "1"),
         Command(pb::OP_PUT, 3, 1, "c", "1")});
  EXPECT_EQ(machine_->session_count(), 2u);
  // Client 1 was evicted: its retry is applied again (documented limit).
  Apply({Command(pb::OP_PUT, 1, 1, "a", "again")});
  EXPECT_EQ(Value("a"), "again");
  // Client 3 was kept: its retry is deduplicated.
  Apply({Command(pb::OP_PUT, 3, 1, "c", "again")});
  EXPECT_EQ(Value("c"), "1");
}

TEST_F(KvStateMachineTest, EvictionFollowsEachSessionsLastWriteAcrossManyRewritesAndRestarts) {
  KvLimits limits;
  limits.max_sessions = 3;
  Reopen(limits);
  // Enough rewrites by three clients that the order's stale entries are
  // compacted several times; client 2 writes last, then 3, then 1.
  uint64_t sequence = 0;
  for (int round = 0; round < 100; ++round) {
    ++sequence;
    Apply({Command(pb::OP_PUT, 1, sequence, "a", "1"), Command(pb::OP_PUT, 3, sequence, "c", "1"),
           Command(pb::OP_PUT, 2, sequence, "b", "1")});
  }
  Apply({Command(pb::OP_PUT, 1, sequence + 1, "a", "1")});
  // Now 3 has the oldest last write, then 2, then 1: a new client evicts 3,
  // not the client whose stale entries come first.
  Apply({Command(pb::OP_PUT, 4, 1, "d", "1")});
  EXPECT_EQ(machine_->session_count(), 3u);
  // A restart rebuilds the order (2, 1, 4) from storage.
  Reopen(limits);
  // Client 3 was evicted: its retry is applied again, evicting 2.
  Apply({Command(pb::OP_PUT, 3, sequence, "c", "again")});
  EXPECT_EQ(Value("c"), "again");
  // Client 1 was kept: its retry is deduplicated (and moves nothing).
  Apply({Command(pb::OP_PUT, 1, sequence + 1, "a", "again")});
  EXPECT_EQ(Value("a"), "1");
  // Client 2 was evicted: applied again, evicting 1, not 4.
  Apply({Command(pb::OP_PUT, 2, sequence, "b", "again")});
  EXPECT_EQ(Value("b"), "again");
  Apply({Command(pb::OP_PUT, 4, 1, "d", "again")});
  EXPECT_EQ(Value("d"), "1");
  Apply({Command(pb::OP_PUT, 1, sequence + 1, "a", "again")});
  EXPECT_EQ(Value("a"), "again");
}

// Evictions and compactions of the eviction order interleave: each round
// one client rewrites and a new one arrives, evicting the second oldest
// arrival, so the order's front has moved past evicted entries whenever
// stale ones are compacted away.
TEST_F(KvStateMachineTest, EvictionStaysInOrderAcrossManyEvictionsAndCompactions) {
  KvLimits limits;
  limits.max_sessions = 3;
  Reopen(limits);
  constexpr uint64_t kRewriter = 1000;
  constexpr int kRounds = 200;
  for (int round = 1; round <= kRounds; ++round) {
    Apply({Command(pb::OP_PUT, kRewriter, round, "r", "1"),
           Command(pb::OP_PUT, 2000 + round, 1, absl::StrCat("n", round), "1")});
    ASSERT_EQ(machine_->session_count(), round == 1 ? 2u : 3u);
  }
  // Kept: the rewriter and the last two arrivals; their retries are
  // deduplicated.
  Apply({Command(pb::OP_PUT, kRewriter, kRounds, "r", "again")});
  EXPECT_EQ(Value("r"), "1");
  Apply({Command(pb::OP_PUT, 2000 + kRounds, 1, absl::StrCat("n", kRounds), "again")});
  EXPECT_EQ(Value(absl::StrCat("n", kRounds)), "1");
  Apply({Command(pb::OP_PUT, 2000 + kRounds - 1, 1, absl::StrCat("n", kRounds - 1), "again")});
  EXPECT_EQ(Value(absl::StrCat("n", kRounds - 1)), "1");
  // Evicted: the arrival before them, whose retry is applied again.
  Apply({Command(pb::OP_PUT, 2000 + kRounds - 2, 1, absl::StrCat("n", kRounds - 2), "again")});
  EXPECT_EQ(Value(absl::StrCat("n", kRounds - 2)), "again");
}

TEST(ValidateCommandTest, RefusesOversizedValuesUnknownOpsAndMissingSequences) {
  KvLimits limits;
  limits.max_value_bytes = 10;
  limits.max_key_bytes = 4;
  pb::Command c;
  c.set_op(pb::OP_PUT);
  c.set_sequence(1);
  c.set_key("k");
  c.set_value(std::string(11, 'x'));
  const absl::Status big = ValidateCommand(c, limits);
  EXPECT_EQ(big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.message().find("11 bytes exceeds the limit of 10"), absl::string_view::npos) << big;
  c.set_value("ok");
  EXPECT_TRUE(ValidateCommand(c, limits).ok());
  // An expected value and a key past their limits.
  c.set_expected(std::string(11, 'x'));
  EXPECT_NE(ValidateCommand(c, limits).message().find("11 bytes exceeds the limit of 10"),
            absl::string_view::npos);
  c.clear_expected();
  c.set_key("kkkkk");
  EXPECT_NE(ValidateCommand(c, limits).message().find("key of 5 bytes exceeds the limit of 4"),
            absl::string_view::npos);
  c.set_key("k");
  // A GET needs no sequence.
  c.set_op(pb::OP_GET);
  c.set_sequence(0);
  EXPECT_TRUE(ValidateCommand(c, limits).ok());
  c.set_sequence(1);
  c.set_op(static_cast<pb::Op>(42));
  EXPECT_NE(ValidateCommand(c, limits).message().find("unknown operation 42"), absl::string_view::npos);
  c.set_op(pb::OP_PUT);
  c.set_sequence(0);
  EXPECT_EQ(ValidateCommand(c, limits).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(KvStateMachineTest, ReusedResultsHoldNothingFromTheLastBatch) {
  // The first batch leaves a CAS mismatch (client, sequence and the value
  // found) in the vector's elements; the second batch's undecodable entry
  // must read as a fresh result all the same.
  auto entry = [this](std::string data) {
    raft::Entry e;
    e.set_index(++index_);
    e.set_term(1);
    e.set_data(std::move(data));
    return e;
  };
  Apply({Command(pb::OP_PUT, 1, 1, "k", "v1")});
  std::vector<KvStateMachine::Applied> applied;
  std::vector<raft::Entry> first = {entry(Command(pb::OP_CAS, 1, 2, "k", "v2").SerializeAsString()),
                                    entry(Command(pb::OP_PUT, 2, 1, "j", "w").SerializeAsString())};
  absl::StatusOr<size_t> count = machine_->ApplyBatch(first, applied, [](absl::Status) {});
  ASSERT_TRUE(count.ok());
  ASSERT_EQ(*count, 2u);
  ASSERT_EQ(applied[0].result.code(), pb::CODE_CAS_MISMATCH);
  ASSERT_EQ(applied[0].result.value(), "v1");

  std::vector<raft::Entry> second = {entry("\xff")};  // No Command: applied as invalid.
  count = machine_->ApplyBatch(second, applied, [](absl::Status) {});
  ASSERT_TRUE(count.ok());
  ASSERT_EQ(*count, 1u);
  KvStateMachine::Applied fresh;
  fresh.index = index_;
  fresh.result.set_code(pb::CODE_INVALID_ARGUMENT);
  EXPECT_EQ(applied[0].index, fresh.index);
  EXPECT_EQ(applied[0].client_id, fresh.client_id);
  EXPECT_EQ(applied[0].sequence, fresh.sequence);
  EXPECT_EQ(applied[0].result.SerializeAsString(), fresh.result.SerializeAsString());
  EXPECT_EQ(applied[1].index, first[1].index());  // Past the count: left as it was.
}

// The batch buffers keep values' buffers for the next batch, but not huge
// ones (kept_buffer.h): after a batch writing and reading back large values
// none stays allocated, while small values' buffers are kept and reused.
TEST_F(KvStateMachineTest, HugeValuesAreNotKeptBetweenBatchesSmallOnesAre) {
  const std::string huge(16 * raft::kMaxKeptBufferBytes, 'h');
  // Written (a mutation's value), then read as a touched key's value.
  Apply({Command(pb::OP_PUT, 1, 1, "a", huge), Command(pb::OP_PUT, 2, 1, "b", huge)});
  // The writes alone (the keys were new, so their reads kept nothing).
  EXPECT_LE(machine_->LargestKeptValueBytes(), raft::kMaxKeptBufferBytes);
  Apply({Command(pb::OP_CAS, 1, 2, "a", "x", std::string("y")), Command(pb::OP_PUT, 2, 2, "b", "z")});
  EXPECT_EQ(Value("a"), huge);
  EXPECT_LE(machine_->LargestKeptValueBytes(), raft::kMaxKeptBufferBytes);
  const std::string small(100, 's');
  Apply({Command(pb::OP_PUT, 1, 3, "a", small), Command(pb::OP_PUT, 2, 3, "b", small)});
  const size_t kept = machine_->LargestKeptValueBytes();
  EXPECT_GE(kept, small.size());
  Apply({Command(pb::OP_PUT, 1, 4, "a", small), Command(pb::OP_PUT, 2, 4, "b", small)});
  EXPECT_EQ(machine_->LargestKeptValueBytes(), kept);
}

TEST_F(KvStateMachineTest, ReadIntoAReusedResultReadsAsAFreshOne) {
  Apply({Command(pb::OP_PUT, 1, 1, "k", "v1")});
  pb::Result result;
  ASSERT_TRUE(machine_->ReadInto("k", result).ok());
  EXPECT_EQ(result.code(), pb::CODE_OK);
  EXPECT_EQ(result.value(), "v1");
  // A missing key after a found one: nothing of the first read is left.
  ASSERT_TRUE(machine_->ReadInto("absent", result).ok());
  absl::StatusOr<pb::Result> fresh = machine_->Read("absent");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->code(), pb::CODE_NOT_FOUND);
  EXPECT_EQ(result.SerializeAsString(), fresh->SerializeAsString());
}

TEST_F(KvStateMachineTest, NonCommandEntriesOnlyAdvanceTheAppliedIndex) {
  raft::Entry noop;
  noop.set_index(++index_);
  noop.set_term(1);
  std::vector<KvStateMachine::Applied> applied;
  absl::StatusOr<size_t> count = machine_->ApplyBatch({noop}, applied, [](absl::Status) {});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0u);
  EXPECT_TRUE(applied.empty());
  EXPECT_EQ(machine_->applied_index(), index_);
}

}  // namespace
}  // namespace kv::node
