#include "node/kv/shard_snapshot_codec.h"

#include "absl/strings/str_cat.h"
#include "node/env/status_macros.h"

namespace kv::node {
namespace {
constexpr size_t kChunkBytes = 64 << 10;
}  // namespace

absl::StatusOr<std::string> EncodeShardSnapshot(storage::StateMachineStorage& storage,
                                                storage::ShardId shard) {
  KV_ASSIGN_OR_RETURN(auto reader, storage.ReadSnapshot(shard));
  std::string out;
  while (!reader->done()) {
    KV_ASSIGN_OR_RETURN(std::string chunk, reader->NextChunk(kChunkBytes));
    const uint32_t n = static_cast<uint32_t>(chunk.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out.append(chunk);
  }
  return out;
}

absl::StatusOr<storage::ShardImage> DecodeShardSnapshot(absl::string_view data) {
  storage::ShardSnapshotAssembler assembler;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4) {
      return absl::InvalidArgumentError(absl::StrCat("shard snapshot truncated at byte ", pos));
    }
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<uint8_t>(data[pos + i])) << (8 * i);
    pos += 4;
    if (n > data.size() - pos) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard snapshot chunk of ", n, " bytes overruns the data at byte ", pos));
    }
    KV_RETURN_IF_ERROR(assembler.AddChunk(data.substr(pos, n)));
    pos += n;
  }
  return std::move(assembler).Finish();
}

}  // namespace kv::node
