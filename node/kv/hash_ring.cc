#include "node/kv/hash_ring.h"

#include <algorithm>
#include <bit>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/stable_hash.h"

namespace kv::node {
namespace {

constexpr uint64_t kKeySeed = 0x6b65792d72696e67ULL;    // "key-ring"
constexpr uint64_t kPointSeed = 0x706f696e742d2d2dULL;  // "point---"

}  // namespace

uint64_t PointHash(uint64_t member, int point) {
  char bytes[16];
  const uint64_t p = static_cast<uint64_t>(point);
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(member >> (8 * i));
    bytes[8 + i] = static_cast<char>(p >> (8 * i));
  }
  return env::StableHash64(absl::string_view(bytes, sizeof(bytes)), kPointSeed);
}

uint64_t KeyHash(absl::string_view key) { return env::StableHash64(key, kKeySeed); }

HashRing::HashRing(int virtual_nodes) : virtual_nodes_(virtual_nodes) {
  KV_CHECK_GE(virtual_nodes, 1);
}

absl::Status HashRing::Add(uint64_t member) { return AddAll(absl::MakeConstSpan(&member, 1)); }

absl::Status HashRing::AddAll(absl::Span<const uint64_t> members) {
  std::vector<uint64_t> added(members.begin(), members.end());
  std::sort(added.begin(), added.end());
  for (size_t i = 0; i < added.size(); ++i) {
    const bool present = std::binary_search(members_.begin(), members_.end(), added[i]);
    if (present || (i > 0 && added[i] == added[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("ring member ", added[i], present ? " already present" : " listed twice"));
    }
  }
  const auto members_added = members_.insert(members_.end(), added.begin(), added.end());
  std::inplace_merge(members_.begin(), members_added, members_.end());
  // The new points sorted among themselves, then merged in: the order a
  // sort of the whole ring gives, in time linear in the ring. Sorting the
  // whole ring and rebuilding its index per member made a cluster of 1,024
  // shards take 10 s to build.
  const size_t old_size = points_.size();
  points_.reserve(old_size + added.size() * static_cast<size_t>(virtual_nodes_));
  for (uint64_t member : added) {
    for (int i = 0; i < virtual_nodes_; ++i) points_.push_back(Point{PointHash(member, i), member});
  }
  const auto points_added = points_.begin() + static_cast<std::ptrdiff_t>(old_size);
  std::sort(points_added, points_.end());
  std::inplace_merge(points_.begin(), points_added, points_.end());
  Reindex();
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
  Reindex();
  return absl::OkStatus();
}

void HashRing::Reindex() {
  // 2^bits >= points, and at least two ranges, so the shift stays below 64.
  const uint64_t n = points_.size();
  const int bits = n <= 2 ? 1 : static_cast<int>(std::bit_width(n - 1));
  KV_CHECK_LE(bits, 32);
  KV_CHECK_LT(points_.size(), uint64_t{UINT32_MAX});
  bucket_shift_ = 64 - bits;
  const size_t buckets = size_t{1} << bits;
  bucket_start_.assign(buckets, 0);
  size_t i = 0;
  for (size_t b = 0; b < buckets; ++b) {
    const uint64_t range_start = static_cast<uint64_t>(b) << bucket_shift_;
    while (i < points_.size() && points_[i].hash < range_start) ++i;
    bucket_start_[b] = static_cast<uint32_t>(i);
  }
}

uint64_t HashRing::LookupHash(uint64_t key_hash) const {
  KV_CHECK(!points_.empty());
  // The first point with hash >= key_hash (of equal hashes, the smallest
  // member: points_ is sorted by (hash, member)). It is at or after the first
  // point of key_hash's range, and at or before the first point of the next
  // range, whose hashes all exceed key_hash, so the scan stays within one range.
  size_t i = bucket_start_[key_hash >> bucket_shift_];
  while (i < points_.size() && points_[i].hash < key_hash) ++i;
  if (i == points_.size()) i = 0;  // Wrap around.
  return points_[i].member;
}

uint64_t HashRing::Lookup(absl::string_view key) const { return LookupHash(KeyHash(key)); }

}  // namespace kv::node
