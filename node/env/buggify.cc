#include "node/env/buggify.h"

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/stable_hash.h"

namespace kv::env {

Buggify::Buggify(Random random, Mode mode) : random_(random), mode_(mode) {}

Buggify::Site& Buggify::Find(absl::string_view site) {
  for (const auto& [name, known] : by_arrival_) {
    if (name == site) return *known;
  }
  auto it = sites_.find(site);
  if (it == sites_.end()) {
    Site fresh;
    switch (mode_) {
      case Mode::kSeeded:
        // From the seed and the name only: the same sites are on whatever
        // order they are first reached in.
        fresh.on = Mix64(random_.seed(), StableHash64(site)) % 4 == 0;
        break;
      case Mode::kAll: fresh.on = true; break;
      case Mode::kOff: fresh.on = false; break;
    }
    it = sites_.emplace(std::string(site), fresh).first;
  }
  by_arrival_.emplace_back(it->first, &it->second);
  return it->second;
}

bool Buggify::Fire(absl::string_view site, uint32_t one_in) { return FireAt(Find(site), one_in); }

bool Buggify::Draw(Site& s, uint32_t one_in) {
  if (!random_.Chance(1, one_in)) return false;
  ++s.fired;
  return true;
}

std::string Buggify::ToString() const {
  std::string out;
  for (const auto& [name, site] : sites_) {
    absl::StrAppend(&out, out.empty() ? "" : " ", name, "=",
                    site.on ? absl::StrCat("on fired ", site.fired, "/", site.evaluated) : "off");
  }
  return out.empty() ? "(no site reached)" : out;
}

std::string Buggify::OnButNeverFiredToString() const {
  std::string out;
  for (const auto& [name, site] : sites_) {
    if (site.on && site.fired == 0) absl::StrAppend(&out, out.empty() ? "" : " ", name);
  }
  return out;
}

uint64_t Buggify::total_fired() const {
  uint64_t total = 0;
  for (const auto& [name, site] : sites_) total += site.fired;
  return total;
}

const char* Buggify::ModeName(Mode mode) {
  switch (mode) {
    case Mode::kSeeded: return "seeded";
    case Mode::kAll: return "all";
    case Mode::kOff: return "off";
  }
  return "?";
}

}  // namespace kv::env
