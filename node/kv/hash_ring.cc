#include "node/kv/hash_ring.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/stable_hash.h"

namespace kv::node {
namespace {

constexpr uint64_t kKeySeed = 0x6b65792d72696e67ULL;    // "key-ring"
constexpr uint64_t kPointSeed = 0x706f696e742d2d2dULL;  // "point---"

uint64_t PointHash(uint64_t member, int point) {
  char bytes[16];
  const uint64_t p = static_cast<uint64_t>(point);
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(member >> (8 * i));
    bytes[8 + i] = static_cast<char>(p >> (8 * i));
  }
  return env::StableHash64(absl::string_view(bytes, sizeof(bytes)), kPointSeed);
}

}  // namespace

uint64_t KeyHash(absl::string_view key) { return env::StableHash64(key, kKeySeed); }

HashRing::HashRing(int virtual_nodes) : virtual_nodes_(virtual_nodes) {
  KV_CHECK_GE(virtual_nodes, 1);
}

absl::Status HashRing::Add(uint64_t member) {
  auto it = std::lower_bound(members_.begin(), members_.end(), member);
  if (it != members_.end() && *it == member) {
    return absl::InvalidArgumentError(absl::StrCat("ring member ", member, " already present"));
  }
  members_.insert(it, member);
  for (int i = 0; i < virtual_nodes_; ++i) points_.push_back(Point{PointHash(member, i), member});
  std::sort(points_.begin(), points_.end());
  return absl::OkStatus();
}

absl::Status HashRing::Remove(uint64_t member) {
  auto it = std::lower_bound(members_.begin(), members_.end(), member);
  if (it == members_.end() || *it != member) {
    return absl::NotFoundError(absl::StrCat("ring member ", member, " not present"));
  }
  members_.erase(it);
  points_.erase(std::remove_if(points_.begin(), points_.end(),
                               [member](const Point& p) { return p.member == member; }),
                points_.end());
  return absl::OkStatus();
}

uint64_t HashRing::LookupHash(uint64_t key_hash) const {
  KV_CHECK(!points_.empty());
  auto it = std::lower_bound(points_.begin(), points_.end(), Point{key_hash, 0});
  if (it == points_.end()) it = points_.begin();  // Wrap around.
  return it->member;
}

uint64_t HashRing::Lookup(absl::string_view key) const { return LookupHash(KeyHash(key)); }

}  // namespace kv::node
