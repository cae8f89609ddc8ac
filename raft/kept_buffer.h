#pragma once
// The bound on buffers kept for reuse (layer: raft/, used by node/ too).
//
// To save an allocation per request, objects on the request path keep their
// buffers when they are done with them and write the next request's bytes
// over them: the core's spare messages and spare unstable entries, the
// replica's refilled log write and read result, the state machine's batch
// values, the peer codec's buffers. A string keeps the largest capacity it
// ever needed, so without a bound a burst of large values (up to the 1 MiB
// value limit) would leave tens of MiB allocated and idle, unseen by the
// memory budget. The rule, the same everywhere: when a kept buffer goes
// back to being a spare, it is released if its capacity exceeds
// kMaxKeptBufferBytes. Small requests, the steady state, still reuse theirs.

#include <cstddef>
#include <string>

#include "raft/raft.pb.h"

namespace kv::raft {

// A spare buffer above this capacity is released rather than kept. Well
// above the requests of the usual workloads (keys and values of tens to
// hundreds of bytes), so that those never reallocate; small enough that a
// few hundred spares hold at most a few MiB.
inline constexpr size_t kMaxKeptBufferBytes = 4 << 10;

// Whether a kept buffer of `capacity_bytes` is to be released.
constexpr bool ExceedsKeptBound(size_t capacity_bytes) {
  return capacity_bytes > kMaxKeptBufferBytes;
}

// Replaces `buffer` with an empty string, freeing its allocation. Swapped
// with a new one: libstdc++'s move assignment from an empty (short) string
// copies its length into the old buffer and keeps that buffer. Out of line:
// it is rare, and inline it made its callers set up a frame for it.
[[gnu::noinline]] inline void ReleaseBuffer(std::string& buffer) { std::string().swap(buffer); }

// Frees `kept`'s buffer if it exceeds the bound; otherwise leaves it as it
// is, contents and all.
inline void ReleaseIfHuge(std::string& kept) {
  if (ExceedsKeptBound(kept.capacity())) [[unlikely]] ReleaseBuffer(kept);
}

// The same for a protobuf string field, read as `field`: `mutable_field()`
// gives it to write, and is called only to release a huge buffer, so that a
// field never set does not get a string allocated.
template <typename MutableField>
void ReleaseFieldIfHuge(const std::string& field, MutableField mutable_field) {
  if (ExceedsKeptBound(field.capacity())) [[unlikely]] ReleaseBuffer(*mutable_field());
}

// The same for an entry's data.
inline void ReleaseIfHuge(Entry& kept) {
  ReleaseFieldIfHuge(kept.data(), [&] { return kept.mutable_data(); });
}

// The same for a message's entries' data and its snapshot data. Entry
// objects that clearing kept out of sight were bounded as it cleared them
// (ClearMessage, message_clear.h), and hold no more since, so bounding the
// visible ones bounds them all.
inline void ReleaseIfHuge(Message& kept) {
  for (Entry& entry : *kept.mutable_entries()) ReleaseIfHuge(entry);
  ReleaseFieldIfHuge(kept.snapshot_data(), [&] { return kept.mutable_snapshot_data(); });
}

}  // namespace kv::raft
