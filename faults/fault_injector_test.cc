#include "faults/fault_injector.h"

#include <memory>
#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "sim/node_context.h"
#include "sim/scheduler.h"
#include "sim/sim_network.h"
#include "sim/trace/trace_sink.h"
#include "sim/trace/tracer.h"

namespace kv::faults {
namespace {

// A cluster control over a bare network whose "leader" the test sets.
class FakeControl final : public ClusterControl {
 public:
  FakeControl(sim::Scheduler& scheduler, int n) : random_(1) {
    std::vector<sim::NodeContext*> pointers;
    for (int i = 0; i < n; ++i) {
      contexts_.push_back(std::make_unique<sim::NodeContext>(scheduler, i));
      pointers.push_back(contexts_.back().get());
    }
    sim::LinkProfile clean;
    clean.tail_ppm = 0;
    network_ = std::make_unique<sim::SimNetwork>(scheduler, pointers, random_, clean);
  }
  sim::SimNetwork& network() override { return *network_; }
  bool Crash(env::NodeId) override { return false; }
  bool Restart(env::NodeId) override { return false; }
  bool Pause(env::NodeId, env::DurationNs) override { return false; }
  bool SetClockDrift(env::NodeId, int64_t) override { return false; }
  bool SetMemoryLimit(env::NodeId, int64_t) override { return false; }
  std::optional<env::NodeId> BusiestLeader() const override { return leader; }

  std::optional<env::NodeId> leader;

 private:
  env::Random random_;
  std::vector<std::unique_ptr<sim::NodeContext>> contexts_;
  std::unique_ptr<sim::SimNetwork> network_;
};

FaultPlan OneEvent(FaultEvent e) {
  FaultPlan plan;
  e.at_ns = 1000;
  plan.events.push_back(e);
  return plan;
}

TEST(FaultInjectorTest, IsolateLeaderCutsOffTheBusiestLeaderAtThatMoment) {
  sim::Scheduler scheduler;
  FakeControl control(scheduler, 5);
  control.leader = 3;
  FaultEvent e;
  e.kind = FaultKind::kIsolateLeader;
  e.node = 1;  // The fallback, unused here.
  e.group_b = {0, 1, 2, 3};  // The members; node 4 plays a client.
  const FaultPlan plan = OneEvent(e);
  FaultInjector injector(scheduler, control, plan);
  injector.Arm();
  scheduler.RunUntil(2000);
  EXPECT_TRUE(control.network().blocked(3, 0));
  EXPECT_TRUE(control.network().blocked(2, 3));
  EXPECT_FALSE(control.network().blocked(1, 0));
  EXPECT_FALSE(control.network().blocked(3, 4));  // Its client still reaches it.
  EXPECT_FALSE(control.network().blocked(4, 3));
  EXPECT_EQ(injector.fired(FaultKind::kIsolateLeader), 1u);
}

TEST(FaultInjectorTest, IsolateLeaderFallsBackToItsNodeWhenNobodyLeads) {
  sim::Scheduler scheduler;
  FakeControl control(scheduler, 5);
  FaultEvent e;
  e.kind = FaultKind::kIsolateLeader;
  e.node = 1;
  e.group_b = {0, 1, 2, 3, 4};
  const FaultPlan plan = OneEvent(e);
  FaultInjector injector(scheduler, control, plan);
  injector.Arm();
  scheduler.RunUntil(2000);
  EXPECT_TRUE(control.network().blocked(1, 0));
  EXPECT_FALSE(control.network().blocked(3, 0));
}

TEST(FaultInjectorTest, MajoritiesRingBlocksLinksAndCountsAsFired) {
  sim::Scheduler scheduler;
  FakeControl control(scheduler, 5);
  FaultEvent e;
  e.kind = FaultKind::kMajoritiesRing;
  e.group_a = {4, 2, 0, 3, 1};
  const FaultPlan plan = OneEvent(e);
  FaultInjector injector(scheduler, control, plan);
  injector.Arm();
  scheduler.RunUntil(2000);
  EXPECT_FALSE(control.network().blocked(4, 2));
  EXPECT_FALSE(control.network().blocked(1, 4));
  EXPECT_TRUE(control.network().blocked(4, 0));
  EXPECT_EQ(control.network().blocked_link_count(), 10);
  EXPECT_EQ(injector.fired(FaultKind::kMajoritiesRing), 1u);
  EXPECT_EQ(injector.NeverFiredToString(), "");
}

// Keeps the fault events a traced run records.
class FaultRecorder final : public sim::trace::TraceSink {
 public:
  void Begin(const sim::trace::TraceLayout&) override {}
  void Record(const sim::trace::TraceEvent& event) override {
    if (event.kind == sim::trace::TraceKind::kFault) faults.push_back(event);
  }
  absl::Status Finish(env::TimeNs) override { return absl::OkStatus(); }
  std::vector<sim::trace::TraceEvent> faults;
};

TEST(FaultInjectorTest, EveryPartitionShapeIsTraced) {
  // The kinds added after kHeal were once left out of the trace, so that a
  // reader saw links blocked by no partition.
  sim::Scheduler scheduler;
  FaultRecorder recorder;
  sim::trace::Tracer tracer(scheduler, recorder);
  scheduler.set_tracer(&tracer);
  FakeControl control(scheduler, 5);
  control.leader = 3;
  FaultPlan plan;
  FaultEvent ring;
  ring.kind = FaultKind::kMajoritiesRing;
  ring.group_a = {4, 2, 0, 3, 1};
  ring.at_ns = 1000;
  FaultEvent heal;
  heal.kind = FaultKind::kHeal;
  heal.at_ns = 2000;
  FaultEvent isolate;
  isolate.kind = FaultKind::kIsolateLeader;
  isolate.node = 1;
  isolate.group_b = {0, 1, 2, 3};
  isolate.at_ns = 3000;
  plan.events = {ring, heal, isolate};
  FaultInjector injector(scheduler, control, plan);
  injector.Arm();
  scheduler.RunUntil(4000);
  ASSERT_EQ(recorder.faults.size(), 3u);
  EXPECT_EQ(recorder.faults[0].fault, sim::trace::FaultAction::kPartition);
  EXPECT_EQ(recorder.faults[0].text, "majorities-ring ring 4-2-0-3-1");
  EXPECT_EQ(recorder.faults[0].detail, "10 links blocked");
  EXPECT_EQ(recorder.faults[1].fault, sim::trace::FaultAction::kHeal);
  // The node actually cut off, chosen when the fault fires.
  EXPECT_EQ(recorder.faults[2].text, "isolate-leader node 3");
  EXPECT_EQ(recorder.faults[2].detail, "6 links blocked");
  scheduler.set_tracer(nullptr);
}

}  // namespace
}  // namespace kv::faults
