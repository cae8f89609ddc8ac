#include "sim/determinism_trail.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "node/env/random.h"
#include "sim/scheduler.h"

namespace kv::sim {
namespace {

// A tiny simulated run: events that draw from a tallied stream. `perturb_at`
// makes one event draw once more, as a nondeterministic branch would.
std::vector<TrailPoint> TinyRun(uint64_t seed, uint64_t perturb_at) {
  env::DrawTally tally;
  env::Random root(seed);
  root.TallyDrawsInto(&tally);
  env::Random random = root.Derive(1);
  Scheduler scheduler;
  std::vector<TrailPoint> trail;
  scheduler.RecordTrail(&trail, &tally);
  uint64_t n = 0;
  for (int i = 0; i < 50; ++i) {
    scheduler.At(static_cast<env::TimeNs>(i) * 1000, static_cast<uint64_t>(i), [&] {
      ++n;
      random.Uniform(100);
      if (n == perturb_at) random.Next64();
    });
  }
  while (scheduler.RunOne()) {
  }
  return trail;
}

TEST(DeterminismTrailTest, SameRunGivesIdenticalTrails) {
  const auto a = TinyRun(3, 0);
  const auto b = TinyRun(3, 0);
  ASSERT_EQ(a.size(), 50u);
  EXPECT_EQ(a.back().draws, 50u);
  EXPECT_FALSE(FindFirstDivergence(a, b).has_value());
}

TEST(DeterminismTrailTest, NamesTheFirstEventWhoseDrawsDiffer) {
  const auto a = TinyRun(3, 0);
  const auto b = TinyRun(3, 20);
  const std::optional<Divergence> d = FindFirstDivergence(a, b);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->event, 20u);
  EXPECT_EQ(d->time_ns, 19000);
  const std::string& text = d->description;
  EXPECT_NE(text.find("event 20 "), std::string::npos) << text;
  EXPECT_NE(text.find("different number of random draws"), std::string::npos) << text;
  EXPECT_NE(text.find("after event 19"), std::string::npos) << text;
}

TEST(DeterminismTrailTest, NamesDifferentEventsAndLengths) {
  auto a = TinyRun(3, 0);
  auto b = a;
  b[7].event_digest ^= 1;
  EXPECT_NE(FindFirstDivergence(a, b)->description.find("a different event ran"), std::string::npos);
  b = a;
  b[9].time_ns += 5;
  EXPECT_NE(FindFirstDivergence(a, b)->description.find("event times differ"), std::string::npos);
  b = a;
  b.pop_back();
  EXPECT_NE(FindFirstDivergence(a, b)->description.find("then one stops"), std::string::npos);
}

TEST(DeterminismTrailTest, FileRoundTripAndBadFiles) {
  const auto a = TinyRun(4, 0);
  const std::string path = ::testing::TempDir() + "/trail_test.bin";
  ASSERT_TRUE(WriteTrail(path, a).ok());
  absl::StatusOr<std::vector<TrailPoint>> back = ReadTrail(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, a);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("not a trail", f);
  std::fclose(f);
  EXPECT_EQ(ReadTrail(path).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadTrail(path + ".missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(WriteTrail("/nonexistent-dir/x", a).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kv::sim
