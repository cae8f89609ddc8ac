#include "faults/fault_plan.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace kv::faults {
namespace {

constexpr env::DurationNs kPhase = 10 * env::kSecond;

TEST(FaultPlanTest, SameStreamGivesSamePlan) {
  env::Random a(3), b(3);
  EXPECT_EQ(DrawFaultPlan(a, 5, kPhase, 1 << 20).ToString(),
            DrawFaultPlan(b, 5, kPhase, 1 << 20).ToString());
}

TEST(FaultPlanTest, EventsAreSortedAndInsideThePhase) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    env::Random r(seed);
    const FaultPlan plan = DrawFaultPlan(r, 5, kPhase, 1 << 20);
    for (size_t i = 0; i < plan.events.size(); ++i) {
      EXPECT_GE(plan.events[i].at_ns, 0);
      EXPECT_LT(plan.events[i].at_ns, kPhase);
      if (i > 0) {
        EXPECT_LE(plan.events[i - 1].at_ns, plan.events[i].at_ns);
      }
    }
  }
}

// Swarm testing: across seeds every class is sometimes on and sometimes off,
// and some seeds draw no faults at all.
TEST(FaultPlanTest, SwarmDrawsVaryTheMixAcrossSeeds) {
  int none = 0, with_partitions = 0, with_crashes = 0, with_loss = 0;
  std::set<int> partition_kinds;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    env::Random r(seed);
    const FaultPlan plan = DrawFaultPlan(r, 5, kPhase, 1 << 20);
    const FaultClasses& c = plan.classes;
    none += !(c.loss || c.duplication || c.reordering || c.delay_tail || c.partitions ||
              c.crashes || c.pauses || c.clock_drift || c.memory_pressure);
    with_partitions += c.partitions;
    with_crashes += c.crashes;
    with_loss += c.loss;
    for (const FaultEvent& e : plan.events) {
      if (IsPartitionKind(e.kind)) partition_kinds.insert(static_cast<int>(e.kind));
    }
  }
  EXPECT_GT(none, 0);
  EXPECT_NEAR(with_partitions, 500, 80);
  EXPECT_NEAR(with_crashes, 500, 80);
  EXPECT_NEAR(with_loss, 500, 80);
  EXPECT_EQ(partition_kinds.size(), 7u);  // Every partition kind is drawn.
}

TEST(FaultPlanTest, PartitionSidesAreDisjoint) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    env::Random r(seed);
    for (const FaultEvent& e : DrawFaultPlan(r, 7, kPhase, 1 << 20).events) {
      std::set<env::NodeId> a(e.group_a.begin(), e.group_a.end());
      for (env::NodeId id : e.group_b) EXPECT_EQ(a.count(id), 0u);
      if (e.kind == FaultKind::kBridge) {
        EXPECT_EQ(a.count(e.node), 0u);
      }
      if (e.kind == FaultKind::kMajoritiesRing) {  // A permutation of all nodes.
        EXPECT_EQ(a.size(), 7u);
        EXPECT_EQ(e.group_a.size(), 7u);
        EXPECT_TRUE(e.group_b.empty());
      }
    }
  }
}

// A partition whose shape blocks no link never fires: a false green. Bridges
// once drew an empty side (a sweep's fault tally showed "bridge 1/3"), and
// split groups could put every node in one group.
TEST(FaultPlanTest, EveryPartitionShapeCutsSomeLink) {
  int bridges = 0, splits = 0;
  for (const int nodes : {3, 4, 5, 7}) {
    for (uint64_t seed = 1; seed <= 400; ++seed) {
      env::Random r(seed);
      for (const FaultEvent& e : DrawFaultPlan(r, nodes, kPhase, 1 << 20).events) {
        const std::string where = absl::StrCat(nodes, " nodes, seed ", seed, ": ", DescribeFaultEvent(e));
        switch (e.kind) {
          case FaultKind::kPartitionHalves:
          case FaultKind::kPartitionOneWay:
            EXPECT_FALSE(e.group_a.empty()) << where;
            EXPECT_FALSE(e.group_b.empty()) << where;
            break;
          case FaultKind::kBridge:
            ++bridges;
            EXPECT_FALSE(e.group_a.empty()) << where;
            EXPECT_FALSE(e.group_b.empty()) << where;
            break;
          case FaultKind::kSplitGroups: {
            ++splits;
            const int non_empty = !e.group_a.empty() + !e.group_b.empty() + !e.group_c.empty();
            EXPECT_GE(non_empty, 2) << where;
            EXPECT_EQ(e.group_a.size() + e.group_b.size() + e.group_c.size(), static_cast<size_t>(nodes)) << where;
            break;
          }
          default:
            break;
        }
      }
    }
  }
  EXPECT_GT(bridges, 100);
  EXPECT_GT(splits, 100);
}

TEST(FaultPlanTest, ASingleNodeGetsEveryFaultButPartitions) {
  int crashes = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    env::Random r(seed);
    const FaultPlan plan = DrawFaultPlan(r, 1, kPhase, 1 << 20);
    EXPECT_FALSE(plan.classes.partitions);
    for (const FaultEvent& e : plan.events) {
      EXPECT_FALSE(IsPartitionKind(e.kind)) << plan.ToString();
      EXPECT_NE(e.kind, FaultKind::kHeal) << plan.ToString();
      if (e.kind == FaultKind::kCrash) {
        EXPECT_EQ(e.node, 0u);
        ++crashes;
      }
    }
  }
  EXPECT_GT(crashes, 0);
}

}  // namespace
}  // namespace kv::faults
