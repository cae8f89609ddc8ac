#include "node/env/buggify.h"

#include <string>

#include "gtest/gtest.h"
#include "node/env/env.h"

namespace kv::env {
namespace {

TEST(BuggifyTest, AboutAQuarterOfSitesAreOnPerSeedAndTheChoiceIsStable) {
  int on = 0;
  constexpr int kSeeds = 400;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    Buggify a(Random(seed), Buggify::Mode::kSeeded);
    Buggify b(Random(seed), Buggify::Mode::kSeeded);
    // Reached in different orders, the same sites are on.
    a.Fire("x.first", 1);
    a.Fire("x.second", 1);
    b.Fire("x.second", 1);
    b.Fire("x.first", 1);
    EXPECT_EQ(a.ToString(), b.ToString());
    on += a.ToString().find("x.first=on") != std::string::npos;
  }
  // Expect 100, sigma about 8.7.
  EXPECT_NEAR(on, kSeeds / 4, 45);
}

TEST(BuggifyTest, OnSitesFireAtTheirRateAndCountIt) {
  Buggify all(Random(3), Buggify::Mode::kAll);
  int fired = 0;
  for (int i = 0; i < 10000; ++i) fired += all.Fire("s", 10);
  EXPECT_NEAR(fired, 1000, 150);
  EXPECT_EQ(all.ToString(), "s=on fired " + std::to_string(fired) + "/10000");
  EXPECT_EQ(all.total_fired(), static_cast<uint64_t>(fired));
  EXPECT_EQ(all.OnButNeverFiredToString(), "");
  all.Disable();
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(all.Fire("s", 1));
}

TEST(BuggifyTest, OffModeNeverFiresAndOnButSilentSitesAreListed) {
  Buggify off(Random(3), Buggify::Mode::kOff);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(off.Fire("s", 1));
  EXPECT_EQ(off.ToString(), "s=off");
  Buggify all(Random(3), Buggify::Mode::kAll);
  all.Disable();
  all.Fire("quiet", 1);
  EXPECT_EQ(all.OnButNeverFiredToString(), "quiet");
}

TEST(BuggifyTest, ASiteIsItsNameWhateverStringCarriesIt) {
  Buggify all(Random(5), Buggify::Mode::kAll);
  all.Fire("a.site", 1);
  // The same name from another buffer reaches the same site; other names
  // written into one reused buffer reach their own sites.
  std::string buffer = "a.site";
  all.Fire(buffer, 1);
  buffer = "b.site";
  all.Fire(buffer, 1);
  buffer = "a.sitf";
  all.Fire(buffer, 1);
  all.Fire("b.site", 1);
  EXPECT_EQ(all.ToString(), "a.site=on fired 2/2 a.sitf=on fired 1/1 b.site=on fired 2/2");
}

// A held site must count, draw and report exactly as Fire(name) does, so
// switching a call site to it changes no run.
TEST(BuggifyTest, AHeldSiteBehavesAsFireByName) {
  for (Buggify::Mode mode : {Buggify::Mode::kSeeded, Buggify::Mode::kAll}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      Buggify by_name(Random(seed), mode);
      Buggify held(Random(seed), mode);
      BuggifySite hot("x.hot");
      for (int i = 0; i < 200; ++i) {
        ASSERT_EQ(by_name.Fire("x.hot", 3), hot.Fire(held, 3)) << "seed " << seed << " evaluation " << i;
        ASSERT_EQ(by_name.Fire("x.cold", 2), held.Fire("x.cold", 2));
      }
      EXPECT_EQ(by_name.ToString(), held.ToString());
      EXPECT_EQ(by_name.OnButNeverFiredToString(), held.OnButNeverFiredToString());
    }
  }
}

TEST(BuggifyTest, AHeldSiteFollowsTheBuggifyItIsGiven) {
  Buggify first(Random(1), Buggify::Mode::kAll);
  Buggify second(Random(1), Buggify::Mode::kAll);
  BuggifySite site("x.site");
  EXPECT_TRUE(site.Fire(first, 1));
  EXPECT_TRUE(site.Fire(second, 1));
  EXPECT_TRUE(site.Fire(second, 1));
  EXPECT_EQ(first.ToString(), "x.site=on fired 1/1");
  EXPECT_EQ(second.ToString(), "x.site=on fired 2/2");
}

TEST(BuggifyTest, TheMacroIsInertWithoutABuggify) {
  struct FakeEnv {
    Buggify* buggify = nullptr;
  } env;
  EXPECT_FALSE(KV_BUGGIFY(env, "s", 1));
  [[maybe_unused]] BuggifySite unused("s");
  EXPECT_FALSE(KV_BUGGIFY_SITE(env, unused, 1));
  Buggify all(Random(1), Buggify::Mode::kAll);
  env.buggify = &all;
  [[maybe_unused]] BuggifySite held("s");
#if defined(KV_BUGGIFY_COMPILED_OUT)
  EXPECT_FALSE(KV_BUGGIFY(env, "s", 1));
  EXPECT_FALSE(KV_BUGGIFY_SITE(env, held, 1));
#else
  EXPECT_TRUE(KV_BUGGIFY(env, "s", 1));
  EXPECT_TRUE(KV_BUGGIFY_SITE(env, held, 1));
#endif
}

}  // namespace
}  // namespace kv::env
