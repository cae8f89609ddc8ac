#pragma once
// The shard snapshot stream: how a shard's state leaves one node in chunks
// and is reassembled on another. Layer: storage/.
//
// Chunk format (one checksummed cell, records.h):
//   [applied index u64][chunk number u32][last u8][pair count u32]
//   then per pair: [key length u32][key][value length u32][value]
// Keys ascend strictly across the whole stream. The assembler rejects a
// corrupt chunk (kDataLoss), one out of order or from another snapshot
// (kInvalidArgument), and anything after the last chunk.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/types.h"

namespace kv::storage {

// The full state of one shard: what a snapshot install writes.
struct ShardImage {
  uint64_t applied_index = 0;
  // Strictly ascending keys.
  std::vector<KeyValue> pairs;
};

// PairSource: the backend's ordered, point-in-time iteration over a shard.
class PairSource {
 public:
  virtual ~PairSource() = default;
  // Fills `out` with the next pair and returns true, or returns false at the
  // end. Errors: kDataLoss for a corrupt stored value.
  [[nodiscard]] virtual absl::StatusOr<bool> Next(KeyValue& out) = 0;
};

// ShardSnapshotReader: cuts a PairSource into chunks.
class ShardSnapshotReader {
 public:
  ShardSnapshotReader(uint64_t applied_index, std::unique_ptr<PairSource> source);

  // The applied index the snapshot was taken at.
  uint64_t applied_index() const { return applied_index_; }

  // True once the last chunk has been returned.
  bool done() const { return done_; }

  // The next chunk, holding pairs until adding one more would exceed
  // `max_bytes` (a chunk holds at least one pair if any remain; an empty
  // shard yields one empty, last chunk). Precondition: !done().
  // Errors: those of the source.
  [[nodiscard]] absl::StatusOr<std::string> NextChunk(size_t max_bytes);
  // The pairs one at a time instead, in key order, for a reader on the same
  // node (KvStateMachine::Load at every start and snapshot install), which
  // had chunks encoded and checksummed only to decode and check them again.
  // Fills `out` and returns true, or returns false at the end. Not mixed
  // with NextChunk. Errors: those of the source.
  [[nodiscard]] absl::StatusOr<bool> NextPair(KeyValue& out);

 private:
  uint64_t applied_index_;
  std::unique_ptr<PairSource> source_;
  uint32_t next_chunk_number_ = 0;
  bool done_ = false;
  // One pair read ahead, so a chunk knows whether it is the last.
  bool have_lookahead_ = false;
  KeyValue lookahead_;
};

// ShardSnapshotAssembler: verifies and collects chunks into a ShardImage.
class ShardSnapshotAssembler {
 public:
  // Adds the next chunk. On error nothing is added, and the stream should
  // be restarted from the beginning.
  [[nodiscard]] absl::Status AddChunk(absl::string_view chunk);

  // True once the last chunk has been added.
  bool complete() const { return complete_; }

  // The assembled image. Errors: kFailedPrecondition if not complete.
  [[nodiscard]] absl::StatusOr<ShardImage> Finish() &&;

 private:
  ShardImage image_;
  uint32_t next_chunk_number_ = 0;
  bool complete_ = false;
};

}  // namespace kv::storage
