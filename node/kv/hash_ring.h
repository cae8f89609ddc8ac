#pragma once
// HashRing: consistent hashing of keys onto members (shards) with virtual
// nodes. Layer: node.
//
// Each member owns `virtual_nodes` points on a 64-bit ring, placed by a stable
// hash of (member id, point number); a key belongs to the member owning the
// first point at or after the key's hash, wrapping around. Adding a member
// moves only the keys that now fall before one of its points: about
// 1/(members + 1) of them. The hash is StableHash64, so every node, the
// simulator and every client place a key identically.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace kv::node {

class HashRing {
 public:
  // An empty ring whose members each get `virtual_nodes` (>= 1) points.
  explicit HashRing(int virtual_nodes);

  // Adds a member. Errors: kInvalidArgument if already present.
  [[nodiscard]] absl::Status Add(uint64_t member);
  // Adds every one of `members`, the ring as Add of each in turn would
  // leave it, with one sort and one reindex in all (a cluster's ring is
  // built so: rebuilding the index per member made 1,024 shards take
  // seconds). Errors: kInvalidArgument, adding none, if one is present
  // already or listed twice.
  [[nodiscard]] absl::Status AddAll(absl::Span<const uint64_t> members);
  // Removes a member. Errors: kNotFound if absent.
  [[nodiscard]] absl::Status Remove(uint64_t member);

  // The member owning `key`. Precondition: the ring is not empty.
  uint64_t Lookup(absl::string_view key) const;
  // The member owning a key whose hash is `key_hash`.
  uint64_t LookupHash(uint64_t key_hash) const;

  // Members, ascending.
  const std::vector<uint64_t>& members() const { return members_; }
  bool empty() const { return members_.empty(); }

 private:
  struct Point {
    uint64_t hash;
    uint64_t member;
    // Full tie-break: two members hashing to one point order by id.
    bool operator<(const Point& other) const {
      return hash != other.hash ? hash < other.hash : member < other.member;
    }
  };

  // Rebuilds bucket_start_ after points_ changed.
  void Reindex();

  int virtual_nodes_;
  std::vector<uint64_t> members_;
  std::vector<Point> points_;  // Sorted.
  // An index over points_ so a lookup scans a point or two instead of
  // binary-searching all of them (8 shards x 128 points: ten probes per key).
  // The ring is cut into 2^k equal hash ranges, 2^k >= points; entry b is the
  // index of the first point whose hash is >= the start of range b.
  int bucket_shift_ = 63;  // 64 - k; a hash's range is hash >> bucket_shift_.
  std::vector<uint32_t> bucket_start_;
};

// The hash of a key on the ring.
uint64_t KeyHash(absl::string_view key);
// The hash of `member`'s virtual node number `point` on the ring (exposed so
// tests can build the ring's points independently).
uint64_t PointHash(uint64_t member, int point);

}  // namespace kv::node
