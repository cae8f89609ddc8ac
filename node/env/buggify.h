#pragma once
// Buggify: named fault points inside the node logic. Layer: node/env.
//
// A site is a line like
//
//   if (KV_BUGGIFY(env_, "kv.client.forget_leader", 4)) { ...rare path... }
//
// that, under the simulator, sometimes takes a legal but unusual path (a
// shorter timeout, an early compaction, a leadership transfer) so the rare
// paths run often. As in FoundationDB, each site is switched on for a whole
// run with probability 1/4, decided from the run's seed and the site's name
// (so the same sites are on in every replay of the seed), and a switched-on
// site fires on one evaluation in `one_in`, drawn from the Buggify's own
// random stream. Every site counts its evaluations and firings, so a run
// reports which sites were on and whether they fired.
//
// Real nodes have no Buggify (Env::buggify is null) and the sites are inert;
// a build with KV_BUGGIFY=OFF (scripts/build.sh production) compiles them out.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "node/env/check.h"
#include "node/env/random.h"

namespace kv::env {

class Buggify {
 public:
  enum class Mode {
    kSeeded,  // Each site on with probability 1/4 per run (the default).
    kAll,     // Every site on.
    kOff,     // No site on (counts still kept).
  };

  // `random` is this object's own stream; its seed also decides which sites
  // are on.
  Buggify(Random random, Mode mode);
  // Not copyable: by_arrival_ points into sites_.
  Buggify(const Buggify&) = delete;
  Buggify& operator=(const Buggify&) = delete;

  // Whether `site` fires now. `site` should be a string literal naming the
  // place ("layer.component.what"); `one_in` >= 1.
  bool Fire(absl::string_view site, uint32_t one_in);

  // After Disable(), no site fires (the simulator calls it when it heals
  // everything, so the liveness phase runs the normal paths).
  void Disable() { disabled_ = true; }

  // "name=on fired F/E" or "name=off" per site evaluated so far, by name.
  std::string ToString() const;
  // Names of sites that were on but never fired (a false green, as for faults).
  std::string OnButNeverFiredToString() const;
  // Total firings, all sites.
  uint64_t total_fired() const;

  static const char* ModeName(Mode mode);

 private:
  friend class BuggifySite;

  struct Site {
    bool on = false;
    uint64_t evaluated = 0;
    uint64_t fired = 0;
  };

  // The site named `site`, created (on or off for the run) when first reached.
  Site& Find(absl::string_view site);
  // Counts an evaluation of `site` and decides whether it fires now.
  // Inline up to the draw: hot sites are evaluated on every Raft Ready and
  // tick, and in most runs they are off (or buggify is), so nearly every
  // call ends before drawing.
  bool FireAt(Site& site, uint32_t one_in) {
    KV_CHECK(one_in >= 1);  // Not KV_CHECK_GE: its message is built inline.
    ++site.evaluated;
    if (!site.on || disabled_) return false;
    return Draw(site, one_in);
  }
  // FireAt's draw, for a site that is on.
  bool Draw(Site& site, uint32_t one_in);

  Random random_;
  const Mode mode_;
  bool disabled_ = false;
  // By name, for the reports (which list sites in name order).
  std::map<std::string, Site, std::less<>> sites_;
  // The same sites in the order first reached, each with its name (the
  // map's own key, which never moves). A run has a handful of sites and
  // hot ones are evaluated on every Raft Ready, so a scan (which compares
  // sizes before bytes) beats the map's string comparisons down the tree.
  std::vector<std::pair<absl::string_view, Site*>> by_arrival_;
};

// One site evaluated on a hot path (once per Raft Ready, say), held by the
// object that evaluates it: it finds its Buggify's site by name at its first
// evaluation and keeps the reference, where Fire(name) looks the name up on
// every evaluation. Counts, random draws and reports are the same as
// Fire(name)'s. Use through KV_BUGGIFY_SITE.
class BuggifySite {
 public:
  // `name` as for Buggify::Fire (a string literal: it is kept, not copied).
  explicit BuggifySite(absl::string_view name) : name_(name) {}

  bool Fire(Buggify& buggify, uint32_t one_in) {
    // A Buggify outlives the run's processes, but check which one we hold a
    // site of rather than assume the caller always passes the same.
    if (&buggify != owner_) [[unlikely]] {
      owner_ = &buggify;
      site_ = &buggify.Find(name_);
    }
    return buggify.FireAt(*site_, one_in);
  }

 private:
  absl::string_view name_;
  Buggify* owner_ = nullptr;
  Buggify::Site* site_ = nullptr;
};

}  // namespace kv::env

#if defined(KV_BUGGIFY_COMPILED_OUT)
#define KV_BUGGIFY(env, site, one_in) false
#define KV_BUGGIFY_SITE(env, buggify_site, one_in) false
#else
// True when the simulator's Buggify (if any) fires `site` now.
#define KV_BUGGIFY(env, site, one_in) ((env).buggify != nullptr && (env).buggify->Fire(site, one_in))
// The same for a held BuggifySite `buggify_site`.
#define KV_BUGGIFY_SITE(env, buggify_site, one_in) \
  ((env).buggify != nullptr && (buggify_site).Fire(*(env).buggify, one_in))
#endif
