#include "sim/sim_network.h"

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kv::sim {
namespace {

// N nodes whose endpoints count what they receive, in arrival order.
class NetworkFixture {
 public:
  NetworkFixture(int n, const LinkProfile& profile, uint64_t seed = 1) : random_(seed) {
    std::vector<NodeContext*> pointers;
    for (int i = 0; i < n; ++i) {
      nodes_.push_back(std::make_unique<NodeContext>(scheduler_, i));
      pointers.push_back(nodes_.back().get());
    }
    network_ = std::make_unique<SimNetwork>(scheduler_, pointers, random_, profile);
    received_.resize(n);
    for (int i = 0; i < n; ++i) {
      network_->endpoint(i).SetReceiver([this, i](env::NodeId from, absl::string_view bytes) {
        received_[i].push_back(std::string(bytes));
      });
    }
  }

  void Send(env::NodeId from, env::NodeId to, std::string bytes) {
    ASSERT_TRUE(network_->endpoint(from).Send(to, std::move(bytes)).ok());
  }
  // Sends `count` numbered messages and runs until all would have arrived.
  void SendMany(env::NodeId from, env::NodeId to, int count) {
    for (int i = 0; i < count; ++i) Send(from, to, std::to_string(i));
    Settle();
  }
  void Settle() { scheduler_.RunUntil(scheduler_.now_ns() + 10 * env::kSecond); }
  size_t received(env::NodeId at) const { return received_[at].size(); }

  Scheduler scheduler_;
  env::Random random_;
  std::vector<std::unique_ptr<NodeContext>> nodes_;
  std::unique_ptr<SimNetwork> network_;
  std::vector<std::vector<std::string>> received_;
};

LinkProfile Clean() {
  LinkProfile p;
  p.tail_ppm = 0;
  return p;
}

TEST(SimNetworkTest, CleanNetworkDeliversEverythingIntact) {
  NetworkFixture f(2, Clean());
  f.Send(0, 1, "hello");
  EXPECT_EQ(f.received(1), 0u);  // Never inline.
  f.Settle();
  ASSERT_EQ(f.received(1), 1u);
  EXPECT_EQ(f.received_[1][0], "hello");
  EXPECT_EQ(f.network_->stats().delivered, 1u);
}

TEST(SimNetworkTest, LatencyIsBasePlusJitter) {
  LinkProfile p = Clean();
  p.latency_base_ns = 1000;
  p.latency_jitter_ns = 500;
  NetworkFixture f(2, p);
  env::TimeNs arrival = -1;
  f.network_->endpoint(1).SetReceiver([&](env::NodeId, absl::string_view) { arrival = f.scheduler_.now_ns(); });
  f.Send(0, 1, "x");
  f.Settle();
  EXPECT_GE(arrival, 1000);
  EXPECT_LE(arrival, 1500);
}

TEST(SimNetworkTest, SymmetricPartitionDropsBothWaysAndHealRestores) {
  NetworkFixture f(2, Clean());
  f.network_->PartitionSymmetric({0}, {1});
  f.SendMany(0, 1, 10);
  f.SendMany(1, 0, 10);
  EXPECT_EQ(f.received(0) + f.received(1), 0u);
  EXPECT_EQ(f.network_->stats().dropped_partition, 20u);
  f.network_->Heal();
  f.SendMany(0, 1, 10);
  f.SendMany(1, 0, 10);
  EXPECT_EQ(f.received(1), 10u);
  EXPECT_EQ(f.received(0), 10u);
}

TEST(SimNetworkTest, OneWayPartitionDropsOnlyOneDirection) {
  NetworkFixture f(2, Clean());
  f.network_->PartitionOneWay({0}, {1});
  f.SendMany(0, 1, 10);
  f.SendMany(1, 0, 10);
  EXPECT_EQ(f.received(1), 0u);
  EXPECT_EQ(f.received(0), 10u);
  f.network_->Heal();
  f.SendMany(0, 1, 10);
  EXPECT_EQ(f.received(1), 10u);
}

TEST(SimNetworkTest, PartitionAppliedWhileInFlightDropsTheMessage) {
  LinkProfile p = Clean();
  p.latency_base_ns = 1000;
  NetworkFixture f(2, p);
  f.Send(0, 1, "in flight");
  f.network_->PartitionSymmetric({0}, {1});
  f.Settle();
  EXPECT_EQ(f.received(1), 0u);
}

// The delivery tests its own directed link: blocking the reverse one
// while a message is in flight does not drop it.
TEST(SimNetworkTest, OneWayPartitionWhileInFlightDropsOnlyItsDirection) {
  LinkProfile p = Clean();
  p.latency_base_ns = 1000;
  NetworkFixture f(2, p);
  f.Send(0, 1, "forward");
  f.Send(1, 0, "backward");
  f.network_->PartitionOneWay({1}, {0});
  f.Settle();
  EXPECT_EQ(f.received(1), 1u);
  EXPECT_EQ(f.received(0), 0u);
  EXPECT_EQ(f.network_->stats().dropped_partition, 1u);
}

TEST(SimNetworkTest, IsolateCutsOneNodeOffOnly) {
  NetworkFixture f(3, Clean());
  f.network_->Isolate(2);
  f.SendMany(0, 2, 5);
  f.SendMany(2, 1, 5);
  f.SendMany(0, 1, 5);
  EXPECT_EQ(f.received(2), 0u);
  EXPECT_EQ(f.received(1), 5u);
}

TEST(SimNetworkTest, SplitGroupsAllowsTrafficOnlyWithinAGroup) {
  NetworkFixture f(5, Clean());
  f.network_->SplitGroups({{0, 1}, {2, 3, 4}});
  f.SendMany(0, 1, 3);
  f.SendMany(2, 4, 3);
  f.SendMany(1, 3, 3);
  f.SendMany(4, 0, 3);
  EXPECT_EQ(f.received(1), 3u);
  EXPECT_EQ(f.received(4), 3u);
  EXPECT_EQ(f.received(3), 0u);
  EXPECT_EQ(f.received(0), 0u);
}

TEST(SimNetworkTest, BridgeLetsBothHalvesReachOnlyTheMiddle) {
  NetworkFixture f(5, Clean());
  f.network_->Bridge({0, 1}, 2, {3, 4});
  f.SendMany(0, 2, 2);
  f.SendMany(4, 2, 2);
  f.SendMany(2, 0, 2);
  f.SendMany(2, 3, 2);
  f.SendMany(0, 3, 2);
  f.SendMany(4, 1, 2);
  EXPECT_EQ(f.received(2), 4u);
  EXPECT_EQ(f.received(0), 2u);
  EXPECT_EQ(f.received(3), 2u);
  EXPECT_EQ(f.received(1), 0u);
  EXPECT_EQ(f.network_->blocked_link_count(), 8);
}

TEST(SimNetworkTest, MajoritiesRingGivesEveryNodeADifferentMajority) {
  NetworkFixture f(5, Clean());
  // Ring order 0 3 1 4 2: each node talks to its two ring neighbours.
  f.network_->MajoritiesRing({0, 3, 1, 4, 2});
  const std::set<std::pair<int, int>> open = {{0, 3}, {3, 1}, {1, 4}, {4, 2}, {2, 0}};
  for (int a = 0; a < 5; ++a) {
    for (int b = 0; b < 5; ++b) {
      if (a == b) continue;
      const bool expect_open = open.count({a, b}) > 0 || open.count({b, a}) > 0;
      EXPECT_EQ(f.network_->blocked(a, b), !expect_open) << a << "->" << b;
    }
  }
  EXPECT_EQ(f.network_->blocked_link_count(), 10);
  // Seven nodes: each sees itself and two on each side, five of seven.
  NetworkFixture g(7, Clean());
  g.network_->MajoritiesRing({0, 1, 2, 3, 4, 5, 6});
  EXPECT_FALSE(g.network_->blocked(0, 2));
  EXPECT_TRUE(g.network_->blocked(0, 3));
  EXPECT_FALSE(g.network_->blocked(0, 5));
  // Three nodes: a majority is two, so nothing is cut.
  NetworkFixture h(3, Clean());
  h.network_->MajoritiesRing({0, 1, 2});
  EXPECT_EQ(h.network_->blocked_link_count(), 0);
}

// Binomial bounds: the measured count must be within 5 standard deviations.
void ExpectRate(uint64_t count, uint64_t trials, double rate) {
  const double mean = trials * rate;
  const double sigma = std::sqrt(trials * rate * (1 - rate));
  EXPECT_NEAR(static_cast<double>(count), mean, 5 * sigma)
      << count << " of " << trials << " at rate " << rate;
}

TEST(SimNetworkTest, MeasuredLossRateMatchesConfiguredRate) {
  LinkProfile p = Clean();
  p.loss_ppm = 100'000;  // 10%.
  NetworkFixture f(2, p, 77);
  constexpr int kMessages = 20000;
  f.SendMany(0, 1, kMessages);
  ExpectRate(f.network_->stats().lost, kMessages, 0.10);
  EXPECT_EQ(f.received(1) + f.network_->stats().lost, static_cast<uint64_t>(kMessages));
}

TEST(SimNetworkTest, MeasuredDuplicationRateMatchesConfiguredRate) {
  LinkProfile p = Clean();
  p.duplicate_ppm = 50'000;  // 5%.
  NetworkFixture f(2, p, 78);
  constexpr int kMessages = 20000;
  f.SendMany(0, 1, kMessages);
  ExpectRate(f.network_->stats().duplicated, kMessages, 0.05);
  EXPECT_EQ(f.received(1), kMessages + f.network_->stats().duplicated);
}

TEST(SimNetworkTest, ReorderingMakesLaterMessagesOvertake) {
  LinkProfile p = Clean();
  p.latency_jitter_ns = 0;
  p.reorder_ppm = 200'000;
  NetworkFixture f(2, p, 79);
  constexpr int kMessages = 2000;
  for (int i = 0; i < kMessages; ++i) {
    f.Send(0, 1, std::to_string(i));
    f.scheduler_.RunUntil(f.scheduler_.now_ns() + 10'000);  // 10 us apart.
  }
  f.Settle();
  ASSERT_EQ(f.received(1), static_cast<size_t>(kMessages));
  int inversions = 0;
  for (int i = 1; i < kMessages; ++i) {
    inversions += std::stoi(f.received_[1][i]) < std::stoi(f.received_[1][i - 1]);
  }
  EXPECT_GT(inversions, 50);
  ExpectRate(f.network_->stats().reordered, kMessages, 0.2);
}

TEST(SimNetworkTest, OversizedAndMisaddressedMessagesAreRefused) {
  NetworkFixture f(2, Clean());
  EXPECT_EQ(f.network_->endpoint(0).Send(1, std::string(env::kMaxMessageBytes + 1, 'x')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.network_->endpoint(0).Send(9, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.network_->endpoint(0).Send(1, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.network_->stats().refused, 3u);
  // The error says which rule refused the message.
  EXPECT_EQ(f.network_->endpoint(0).Send(9, "x").message(), "send to unknown node 9 (cluster has 2)");
  EXPECT_EQ(f.network_->endpoint(0).Send(1, "").message(), "message of 0 bytes; must be 1..16777216");
  EXPECT_EQ(f.network_->stats().sent, 0u);
  f.Settle();
  EXPECT_EQ(f.received(1), 0u);
}

TEST(SimNetworkTest, MessagesToAPausedNodeArriveWhenThePauseEnds) {
  LinkProfile p = Clean();
  p.latency_base_ns = 1000;
  p.latency_jitter_ns = 0;
  NetworkFixture f(2, p);
  env::TimeNs arrival = -1;
  f.network_->endpoint(1).SetReceiver([&](env::NodeId, absl::string_view bytes) {
    arrival = f.scheduler_.now_ns();
    f.received_[1].push_back(std::string(bytes));
  });
  f.nodes_[1]->PauseUntil(5000);
  f.Send(0, 1, "while paused");
  f.Settle();
  ASSERT_EQ(f.received(1), 1u);
  EXPECT_EQ(f.received_[1][0], "while paused");
  EXPECT_EQ(arrival, 5000);
  EXPECT_EQ(f.network_->stats().delivered, 1u);
}

TEST(SimNetworkTest, MessagesToACrashedNodeAreDropped) {
  LinkProfile p = Clean();
  p.latency_base_ns = 1000;
  NetworkFixture f(2, p);
  f.Send(0, 1, "before crash");
  f.nodes_[1]->Crash();
  f.nodes_[1]->Restart();
  f.Settle();
  EXPECT_EQ(f.received(1), 0u);
  EXPECT_EQ(f.network_->stats().dropped_down, 1u);
}

TEST(SimNetworkTest, SameSeedSameDeliveriesDifferentSeedDifferent) {
  LinkProfile p;
  p.loss_ppm = 100'000;
  p.reorder_ppm = 100'000;
  auto run = [&](uint64_t seed) {
    NetworkFixture f(3, p, seed);
    for (int i = 0; i < 500; ++i) f.Send(i % 3, (i + 1) % 3, std::to_string(i));
    f.Settle();
    return f.scheduler_.digest();
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace kv::sim
