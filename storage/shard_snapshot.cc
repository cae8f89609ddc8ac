#include "storage/shard_snapshot.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "storage/coding.h"
#include "storage/records.h"

namespace kv::storage {
namespace {

size_t EncodedPairBytes(const KeyValue& pair) { return 8 + pair.key.size() + pair.value.size(); }

}  // namespace

ShardSnapshotReader::ShardSnapshotReader(uint64_t applied_index, std::unique_ptr<PairSource> source)
    : applied_index_(applied_index), source_(std::move(source)) {
  KV_CHECK(source_ != nullptr);
}

absl::StatusOr<std::string> ShardSnapshotReader::NextChunk(size_t max_bytes) {
  KV_CHECK(!done_);
  if (!have_lookahead_ && next_chunk_number_ == 0) {
    auto more = source_->Next(lookahead_);
    if (!more.ok()) return more.status();
    have_lookahead_ = *more;
  }
  std::string pairs;
  uint32_t pair_count = 0;
  while (have_lookahead_) {
    if (pair_count > 0 && pairs.size() + EncodedPairBytes(lookahead_) > max_bytes) break;
    PutLengthPrefixed(pairs, lookahead_.key);
    PutLengthPrefixed(pairs, lookahead_.value);
    ++pair_count;
    auto more = source_->Next(lookahead_);
    if (!more.ok()) return more.status();
    have_lookahead_ = *more;
  }
  const bool last = !have_lookahead_;
  std::string body;
  body.reserve(17 + pairs.size());
  PutFixed64(body, applied_index_);
  PutFixed32(body, next_chunk_number_);
  body.push_back(last ? 1 : 0);
  PutFixed32(body, pair_count);
  body.append(pairs);
  ++next_chunk_number_;
  done_ = last;
  return SealCell(body);
}

absl::StatusOr<bool> ShardSnapshotReader::NextPair(KeyValue& out) {
  KV_CHECK(next_chunk_number_ == 0 && !have_lookahead_);  // No chunk was taken.
  if (done_) return false;
  absl::StatusOr<bool> more = source_->Next(out);
  if (more.ok() && !*more) done_ = true;
  return more;
}

absl::Status ShardSnapshotAssembler::AddChunk(absl::string_view chunk) {
  if (complete_) {
    return absl::InvalidArgumentError("snapshot chunk after the last one");
  }
  auto body = OpenCell(chunk, "snapshot chunk", next_chunk_number_, true);
  if (!body.ok()) return body.status();
  ByteReader reader(*body);
  uint64_t applied_index = 0;
  uint32_t chunk_number = 0;
  uint8_t last = 0;
  uint32_t pair_count = 0;
  if (!reader.ReadFixed64(applied_index) || !reader.ReadFixed32(chunk_number) ||
      !reader.ReadByte(last) || !reader.ReadFixed32(pair_count) || last > 1) {
    return absl::DataLossError("malformed snapshot chunk header");
  }
  if (chunk_number != next_chunk_number_) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot chunk ", chunk_number,
                                                   " out of order; expected ",
                                                   next_chunk_number_));
  }
  if (chunk_number > 0 && applied_index != image_.applied_index) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot chunk of applied index ",
                                                   applied_index, " mixed into snapshot at ",
                                                   image_.applied_index));
  }
  // Parse into a side vector so that a bad chunk adds nothing.
  std::vector<KeyValue> pairs;
  pairs.reserve(pair_count);
  for (uint32_t i = 0; i < pair_count; ++i) {
    absl::string_view key;
    absl::string_view value;
    if (!reader.ReadLengthPrefixed(key) || !reader.ReadLengthPrefixed(value)) {
      return absl::DataLossError("malformed snapshot chunk pair");
    }
    const std::string* previous = !pairs.empty()          ? &pairs.back().key
                                  : !image_.pairs.empty() ? &image_.pairs.back().key
                                                          : nullptr;
    if (previous != nullptr && !(absl::string_view(*previous) < key)) {
      return absl::InvalidArgumentError("snapshot keys not strictly ascending");
    }
    pairs.push_back(KeyValue{std::string(key), std::string(value)});
  }
  if (!reader.empty()) return absl::DataLossError("trailing bytes in snapshot chunk");
  image_.applied_index = applied_index;
  for (auto& pair : pairs) image_.pairs.push_back(std::move(pair));
  ++next_chunk_number_;
  complete_ = last == 1;
  return absl::OkStatus();
}

absl::StatusOr<ShardImage> ShardSnapshotAssembler::Finish() && {
  if (!complete_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot incomplete: ", next_chunk_number_, " chunks received, last one missing"));
  }
  return std::move(image_);
}

}  // namespace kv::storage
