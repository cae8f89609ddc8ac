#include "faults/fault_injector.h"

#include <memory>
#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "sim/node_context.h"
#include "sim/scheduler.h"
#include "sim/sim_network.h"

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

}  // namespace
}  // namespace kv::faults
