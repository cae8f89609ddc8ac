#include "sim/scenario/shrinker.h"

#include "gtest/gtest.h"
#include "node/kv/kv_bugs.h"
#include "sim/scenario/scenario_file.h"

namespace kv::scenario {
namespace {

using faults::FaultEvent;
using faults::FaultKind;

FaultEvent Event(FaultKind kind, int64_t at_ms, env::NodeId node = 0, std::vector<env::NodeId> a = {},
                 std::vector<env::NodeId> b = {}) {
  FaultEvent e;
  e.kind = kind;
  e.at_ns = at_ms * env::kMillisecond;
  e.node = node;
  e.group_a = std::move(a);
  e.group_b = std::move(b);
  return e;
}

sim::KvScenario FourServers() {
  sim::KvScenarioOptions o;
  o.seed = 9;
  o.servers = 4;
  o.shards = 2;
  o.clients = 2;
  o.fault_phase_ns = 2 * env::kSecond;
  sim::KvScenario s = sim::DrawKvScenario(o);
  s.plan.events = {Event(FaultKind::kCrash, 100, 1), Event(FaultKind::kPartitionHalves, 200, 0, {0, 2}, {1, 3}),
                   Event(FaultKind::kPartitionOneWay, 300, 0, {1}, {0, 2, 3}), Event(FaultKind::kRestart, 400, 3),
                   Event(FaultKind::kHeal, 1500)};
  return s;
}

TEST(ShrinkerTest, WithoutServerDropsItsEventsAndRenumbersTheRest) {
  const sim::KvScenario s = WithoutServer(FourServers(), 1);
  ASSERT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);
  EXPECT_EQ(s.servers, 3);
  EXPECT_EQ(s.plan.clock_offset_ns.size(), 3u);
  ASSERT_EQ(s.plan.events.size(), 3u);  // The crash of 1 and the one-way cut from {1} go.
  EXPECT_EQ(s.plan.events[0].kind, FaultKind::kPartitionHalves);
  EXPECT_EQ(s.plan.events[0].group_a, (std::vector<env::NodeId>{0, 1}));  // 2 became 1.
  EXPECT_EQ(s.plan.events[0].group_b, (std::vector<env::NodeId>{2}));     // 3 became 2.
  EXPECT_EQ(s.plan.events[1].kind, FaultKind::kRestart);
  EXPECT_EQ(s.plan.events[1].node, 2u);
  EXPECT_EQ(s.plan.events[2].kind, FaultKind::kHeal);
}

TEST(ShrinkerTest, ShorterFaultPhaseDropsLaterEvents) {
  const sim::KvScenario s = WithFaultPhase(FourServers(), 350 * env::kMillisecond);
  EXPECT_TRUE(ValidateScenario(s).ok());
  EXPECT_EQ(s.plan.events.size(), 3u);
}

TEST(ShrinkerTest, PassingScenarioIsNotShrunk) {
  int runs = 0;
  const ShrinkResult r = Shrink(
      FourServers(), [&](const sim::KvScenario&) { ++runs; return CandidateOutcome{}; }, ShrinkOptions{});
  EXPECT_FALSE(r.original_failed);
  EXPECT_EQ(runs, 1);
}

// A synthetic failure that needs server 2 crashed and at least two
// clients: the shrinker keeps exactly that, within its budget.
TEST(ShrinkerTest, KeepsWhatTheFailureNeedsAndRespectsTheBudget) {
  sim::KvScenario start = FourServers();
  start.plan.events.push_back(Event(FaultKind::kCrash, 1600, 2));
  const CandidateRunner run = [](const sim::KvScenario& s) {
    CandidateOutcome o;
    bool crash_of_last = false;
    for (const FaultEvent& e : s.plan.events) crash_of_last |= e.kind == FaultKind::kCrash && e.node + 1 == 3;
    o.failed = crash_of_last && s.clients >= 2 && s.servers >= 3;
    if (o.failed) o.categories = {"durability"};
    if (!o.failed && s.clients >= 2) {
      o.failed = true;
      o.categories = {"liveness"};  // A different check: not kept.
    }
    o.max_client_ops = 50;
    return o;
  };
  std::vector<std::string> lines;
  ShrinkOptions options;
  options.progress = [&](const std::string& line) { lines.push_back(line); };
  const ShrinkResult r = Shrink(start, run, options);
  ASSERT_TRUE(r.original_failed);
  EXPECT_EQ(r.category, "durability");
  EXPECT_EQ(r.scenario.clients, 2);
  EXPECT_EQ(r.scenario.servers, 3);
  ASSERT_EQ(r.scenario.plan.events.size(), 1u);
  EXPECT_EQ(r.scenario.plan.events[0].kind, FaultKind::kCrash);
  EXPECT_EQ(r.scenario.shards, 1);
  // Just past the crash at 1600 ms, to within one 50 ms step.
  EXPECT_GT(r.scenario.fault_phase_ns, 1600 * env::kMillisecond);
  EXPECT_LE(r.scenario.fault_phase_ns, 1650 * env::kMillisecond);
  EXPECT_EQ(r.scenario.workload.ops_per_client, 1u);
  EXPECT_EQ(r.scenario.plan.link.loss_ppm, 0u);
  EXPECT_TRUE(ValidateScenario(r.scenario).ok());
  EXPECT_EQ(static_cast<int>(lines.size()), r.attempts);
  EXPECT_NE(lines[1].find("attempt 2: removed fault events 0..2 of 6"), std::string::npos) << lines[1];

  options.max_attempts = 5;
  const ShrinkResult bounded = Shrink(start, run, options);
  EXPECT_EQ(bounded.attempts, 5);
}

}  // namespace
}  // namespace kv::scenario
