#pragma once
// ManualLoop: a deterministic clock + executor for storage tests. Layer:
// storage/ tests only. Events run in (time, sequence) order; time jumps to
// the next event, so simulated latencies cost no real time.

#include <cstdint>
#include <map>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "node/env/clock.h"
#include "node/env/executor.h"

namespace kv::storage::testing {

class ManualLoop final : public env::Clock, public env::Executor {
 public:
  env::TimeNs NowNs() const override { return now_ns_; }

  env::TimerId After(env::DurationNs delay_ns, OnFire on_fire) override {
    const env::TimerId id{next_timer_id_++};
    const Key key{now_ns_ + (delay_ns > 0 ? delay_ns : 0), next_sequence_++};
    events_.emplace(key, Event{id.value, std::move(on_fire)});
    timers_.emplace(id.value, key);
    return id;
  }

  bool Cancel(env::TimerId id) override {
    auto it = timers_.find(id.value);
    if (it == timers_.end()) return false;
    events_.erase(it->second);
    timers_.erase(it);
    return true;
  }

  void Post(Task task) override {
    events_.emplace(Key{now_ns_, next_sequence_++}, Event{0, std::move(task)});
  }

  // Runs events until `done()` holds or none remain. Returns done().
  bool RunUntil(absl::FunctionRef<bool()> done) {
    while (!done() && !events_.empty()) RunOne();
    return done();
  }

  void RunUntilIdle() {
    while (!events_.empty()) RunOne();
  }

  // Discards every pending event, as a node crash does.
  void DropAll() {
    events_.clear();
    timers_.clear();
  }

  size_t pending_count() const { return events_.size(); }

 private:
  using Key = std::pair<env::TimeNs, uint64_t>;
  struct Event {
    uint64_t timer_id = 0;  // 0 for posted tasks.
    absl::AnyInvocable<void()> run;
  };

  void RunOne() {
    auto it = events_.begin();
    now_ns_ = it->first.first;
    Event event = std::move(it->second);
    events_.erase(it);
    if (event.timer_id != 0) timers_.erase(event.timer_id);
    event.run();
  }

  env::TimeNs now_ns_ = 0;
  uint64_t next_sequence_ = 1;
  uint64_t next_timer_id_ = 1;
  std::map<Key, Event> events_;
  std::map<uint64_t, Key> timers_;
};

}  // namespace kv::storage::testing
