// Stateful property test (rc::state) of StateMachineStorage against a map
// model: random applies (puts and deletes over a small key space) and
// snapshot installs on a few shards, partial runs, restarts and crashes.
// After a crash each shard must equal its model after some prefix of its
// writes that includes every acknowledged one (state_machine_storage.h).

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "storage/testing/conformance_backends.h"
#include "storage/testing/rc_check.h"

namespace kv::storage {
namespace {

struct ShardModel {
  uint64_t applied_index = 0;
  std::map<std::string, std::string> values;
  friend bool operator==(const ShardModel&, const ShardModel&) = default;
};

constexpr ShardId kShards[] = {1, 2, 300};

template <typename Harness>
class StateSut {
 public:
  explicit StateSut(uint64_t seed) : harness_(seed) {
    Reopen();
    for (ShardId shard : kShards) history_[shard] = {ShardModel{}};
  }

  const ShardModel& Latest(ShardId shard) const { return history_.at(shard).back(); }

  void Issue(ShardId shard, const std::function<void(StateMachineStorage&, env::OnDone)>& start,
             const std::function<void(ShardModel&)>& apply) {
    std::vector<ShardModel>& history = history_[shard];
    history.push_back(history.back());
    apply(history.back());
    const size_t ordinal = issued_.size();
    issued_.push_back(Issued{shard, history.size() - 1});
    start(*storage_, [this, ordinal](absl::Status status) {
      RC_ASSERT(status.ok());
      RC_ASSERT(ordinal == completed_);
      ++completed_;
      acknowledged_[issued_[ordinal].shard] = issued_[ordinal].history_index;
    });
  }

  void Drain() {
    harness_.Drain();
    RC_ASSERT(completed_ == issued_.size());
    for (ShardId shard : kShards) RC_ASSERT(Read(shard) == Latest(shard));
  }

  void RunSome(int steps) { harness_.RunSome(steps); }

  void Restart(bool crash) {
    if (!crash) harness_.Drain();
    storage_.reset();
    if (crash) harness_.Crash();
    Reopen();
    for (ShardId shard : kShards) {
      std::vector<ShardModel>& history = history_[shard];
      const ShardModel recovered = Read(shard);
      const size_t first = crash ? acknowledged_[shard] : history.size() - 1;
      const bool found =
          std::find(history.begin() + static_cast<int64_t>(first), history.end(), recovered) !=
          history.end();
      if (!found) {
        std::ostringstream message;
        message << "shard " << shard << " recovered applied index " << recovered.applied_index
                << " with " << recovered.values.size() << " keys; acknowledged applied index "
                << history[acknowledged_[shard]].applied_index << "\n"
                << harness_.Describe();
        RC_FAIL(message.str());
      }
      history = {recovered};
      acknowledged_[shard] = 0;
    }
    issued_.clear();
    completed_ = 0;
  }

 private:
  struct Issued {
    ShardId shard;
    size_t history_index;
  };

  void Reopen() {
    auto storage = harness_.OpenStateMachine();
    RC_ASSERT(storage.ok());
    storage_ = *std::move(storage);
  }

  ShardModel Read(ShardId shard) {
    ShardModel model;
    auto reader = storage_->ReadSnapshot(shard);
    RC_ASSERT(reader.ok());
    model.applied_index = (*reader)->applied_index();
    ShardSnapshotAssembler assembler;
    while (!(*reader)->done()) {
      auto chunk = (*reader)->NextChunk(256);
      RC_ASSERT(chunk.ok());
      RC_ASSERT(assembler.AddChunk(*chunk).ok());
    }
    auto image = std::move(assembler).Finish();
    RC_ASSERT(image.ok());
    for (KeyValue& pair : image->pairs) {
      // Point reads must agree with the snapshot stream.
      auto value = storage_->Get(shard, pair.key);
      RC_ASSERT(value.ok());
      RC_ASSERT(*value == std::optional<std::string>(pair.value));
      model.values[pair.key] = std::move(pair.value);
    }
    RC_ASSERT(storage_->AppliedIndex(shard) == model.applied_index);
    return model;
  }

  Harness harness_;
  std::unique_ptr<StateMachineStorage> storage_;
  std::map<ShardId, std::vector<ShardModel>> history_;
  std::map<ShardId, size_t> acknowledged_;
  std::vector<Issued> issued_;
  size_t completed_ = 0;
};

struct Nothing {};
template <typename Harness>
using Command = rc::state::Command<Nothing, StateSut<Harness>>;

std::string KeyOf(int key) { return "key" + std::to_string(key); }

template <typename Harness>
struct ApplyMutations : Command<Harness> {
  ShardId shard = *rc::gen::elementOf(std::vector<ShardId>(std::begin(kShards), std::end(kShards)));
  std::vector<std::pair<int, int>> changes =  // (key, value length); length 0 deletes.
      *rc::gen::container<std::vector<std::pair<int, int>>>(
          rc::gen::pair(rc::gen::inRange(0, 12), rc::gen::inRange(0, 300)));

  void run(const Nothing&, StateSut<Harness>& sut) const override {
    const uint64_t applied_index = sut.Latest(shard).applied_index + 1;
    std::vector<Mutation> mutations;
    for (const auto& [key, length] : changes) {
      mutations.push_back(length == 0 ? Mutation::Delete(KeyOf(key))
                                      : Mutation::Put(KeyOf(key),
                                                      std::string(static_cast<size_t>(length),
                                                                  static_cast<char>('a' + applied_index % 26))));
    }
    sut.Issue(
        shard,
        [=, this](StateMachineStorage& storage, env::OnDone done) {
          storage.Apply(shard, applied_index, mutations, std::move(done));
        },
        [=](ShardModel& model) {
          model.applied_index = applied_index;
          for (const Mutation& mutation : mutations) {
            if (mutation.kind == Mutation::Kind::kPut) {
              model.values[mutation.key] = mutation.value;
            } else {
              model.values.erase(mutation.key);
            }
          }
        });
  }
  void show(std::ostream& os) const override {
    os << "Apply(shard " << shard << ", " << changes.size() << " changes)";
  }
};

template <typename Harness>
struct Install : Command<Harness> {
  ShardId shard = *rc::gen::elementOf(std::vector<ShardId>(std::begin(kShards), std::end(kShards)));
  uint64_t skip = *rc::gen::inRange<uint64_t>(1, 20);
  std::map<int, int> pairs =
      *rc::gen::container<std::map<int, int>>(rc::gen::inRange(0, 12), rc::gen::inRange(1, 200));

  void run(const Nothing&, StateSut<Harness>& sut) const override {
    ShardImage image;
    image.applied_index = sut.Latest(shard).applied_index + skip;
    for (const auto& [key, length] : pairs) {
      image.pairs.push_back(KeyValue{KeyOf(key), std::string(static_cast<size_t>(length), 'i')});
    }
    std::sort(image.pairs.begin(), image.pairs.end(),
              [](const KeyValue& a, const KeyValue& b) { return a.key < b.key; });
    sut.Issue(
        shard,
        [=, this](StateMachineStorage& storage, env::OnDone done) {
          storage.InstallSnapshot(shard, image, std::move(done));
        },
        [=](ShardModel& model) {
          model.applied_index = image.applied_index;
          model.values.clear();
          for (const KeyValue& pair : image.pairs) model.values[pair.key] = pair.value;
        });
  }
  void show(std::ostream& os) const override {
    os << "Install(shard " << shard << ", " << pairs.size() << " pairs)";
  }
};

template <typename Harness>
struct RunAll : Command<Harness> {
  void run(const Nothing&, StateSut<Harness>& sut) const override { sut.Drain(); }
  void show(std::ostream& os) const override { os << "RunAll"; }
};

template <typename Harness>
struct RunSome : Command<Harness> {
  int steps = *rc::gen::inRange(1, 4);
  void run(const Nothing&, StateSut<Harness>& sut) const override { sut.RunSome(steps); }
  void show(std::ostream& os) const override { os << "RunSome(" << steps << ")"; }
};

template <typename Harness>
struct Crash : Command<Harness> {
  void run(const Nothing&, StateSut<Harness>& sut) const override { sut.Restart(true); }
  void show(std::ostream& os) const override { os << "Crash"; }
};

template <typename Harness>
struct Restart : Command<Harness> {
  void run(const Nothing&, StateSut<Harness>& sut) const override { sut.Restart(false); }
  void show(std::ostream& os) const override { os << "Restart"; }
};

template <typename Harness>
class StateMachineModelTest : public ::testing::Test {};
TYPED_TEST_SUITE(StateMachineModelTest, testing::ConformanceBackends, testing::BackendNames);

TYPED_TEST(StateMachineModelTest, RecoversAnAllowedStateAfterEveryCrash) {
  const bool fast = TypeParam::kCrashLosesUnsynced;
  testing::CheckProperty(
      [] {
        StateSut<TypeParam> sut(*rc::gen::arbitrary<uint64_t>());
        rc::state::check(
            Nothing{}, sut,
            rc::state::gen::execOneOfWithArgs<ApplyMutations<TypeParam>, ApplyMutations<TypeParam>,
                                              Install<TypeParam>, RunAll<TypeParam>,
                                              RunSome<TypeParam>, Crash<TypeParam>,
                                              Restart<TypeParam>>());
        sut.Restart(/*crash=*/true);
      },
      fast ? 150 : 20, fast ? 100 : 40);
}

}  // namespace
}  // namespace kv::storage
