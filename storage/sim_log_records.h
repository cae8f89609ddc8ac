#pragma once
// Payload formats of the simulated log journal (sim_journal.h frames them).
// Layer: storage/. Pure encoding; SimLogStorage does the I/O.
//
//   kLogWrite:    [has hard state u8][hard state cell]? [first index u64]
//                 [count u32] then per entry [length u32][entry cell]
//   kLogSnapshot: [length u32][snapshot metadata cell][data]
//   kLogCompact:  [log base cell]  (the new base)
//   kLogImage:    a whole rewritten log, written by compaction of the file:
//                 [length u32][base cell][has snapshot u8]
//                 ([length u32][metadata cell][length u32][data])?
//                 [length u32][hard state cell][first index u64][count u32]
//                 then per entry [length u32][entry cell]
//
// Cells are records.h cells; entry cells are kept byte for byte so that
// SimLogStorage reads them back at their offsets and verifies them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/env/check.h"
#include "storage/coding.h"
#include "storage/records.h"
#include "storage/types.h"

namespace kv::storage {

// A byte range inside a payload (or, once offset by the payload's position,
// inside the file).
struct Span {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct EncodedPayload {
  std::string bytes;
  std::vector<Span> entry_cells;
  Span snapshot_data;
};

// Appends the payload of entries [skipped_count, size) of `write`, and its
// hard state, to `out`, and the entry cells' spans to `entry_cells` (offsets
// from where the payload starts). Encodes in place: no copy per entry.
void AppendWritePayload(const LogWrite& write, size_t skipped_count, std::string& out,
                        std::vector<Span>& entry_cells);
// The same in two steps, for a caller that grows its buffer once for a
// whole record: the payload's size, and the payload written at `payload`,
// where `payload_bytes` is that size (checked).
size_t WritePayloadBytes(const LogWrite& write, size_t skipped_count);
// WriteWritePayload is inline: every log write encodes its record here,
// and the call (a frame around a few stores per entry) showed.
[[gnu::always_inline]] inline void WriteWritePayload(char* payload, size_t payload_bytes, const LogWrite& write,
                       size_t skipped_count, std::vector<Span>& entry_cells) {
  // Plain stores into a buffer sized up front: growing a string per field
  // and per cell cost more than the stores themselves.
  char* p = payload;
  *p++ = write.hard_state.has_value() ? 1 : 0;
  if (write.hard_state.has_value()) {
    EncodeFixed32(p, static_cast<uint32_t>(kHardStateCellBytes));
    p = WriteHardStateCell(p + 4, *write.hard_state);
  }
  const size_t count = write.entries.size() - skipped_count;
  EncodeFixed64(p, count == 0 ? 0 : write.entries[skipped_count].index);
  EncodeFixed32(p + 8, static_cast<uint32_t>(count));
  p += 12;
  for (size_t i = skipped_count; i < write.entries.size(); ++i) {
    const size_t cell_bytes = EntryCellBytes(write.entries[i]);
    EncodeFixed32(p, static_cast<uint32_t>(cell_bytes));
    p += 4;
    entry_cells.push_back(Span{static_cast<uint64_t>(p - payload), cell_bytes});
    p = WriteEntryCell(p, write.entries[i]);
  }
  KV_CHECK_EQ(static_cast<size_t>(p - payload), payload_bytes);
}
EncodedPayload EncodeSnapshotPayload(const StoredSnapshotMetadata& stored, absl::string_view data);
std::string EncodeCompactPayload(const LogBase& base);

struct LogImage {
  LogBase base;
  std::optional<StoredSnapshotMetadata> snapshot;
  std::string snapshot_data;
  HardState hard_state;
  uint64_t first_index = 0;
  // Entry cells, verbatim.
  std::vector<std::string> entry_cells;
};
EncodedPayload EncodeImagePayload(const LogImage& image);

struct DecodedWrite {
  std::optional<HardState> hard_state;
  std::vector<LogEntry> entries;
  std::vector<Span> entry_cells;
};
// Errors: kDataLoss if malformed or an entry cell fails its checksum.
[[nodiscard]] absl::StatusOr<DecodedWrite> DecodeWritePayload(absl::string_view payload);
// The same for recovery, which needs each entry's index and term and its
// cell's span but not its payload: into `write` (entries with empty
// payloads) and `entry_cells`, both cleared first so that a caller reuses
// them. For a payload whose record checksum has matched (ParseJournal),
// which covers the cells: their own checksums are not computed again. The
// same errors otherwise. Restarts replay every write of a journal, and the
// payloads' copies were a sixth of a run on seeds with frequent disk errors.
[[nodiscard]] absl::Status DecodeWriteTermsInto(absl::string_view payload, LogWrite& write,
                                                std::vector<Span>& entry_cells);

struct DecodedSnapshot {
  StoredSnapshotMetadata stored;
  Span data;
};
[[nodiscard]] absl::StatusOr<DecodedSnapshot> DecodeSnapshotPayload(absl::string_view payload);

struct DecodedImage {
  LogBase base;
  std::optional<DecodedSnapshot> snapshot;
  HardState hard_state;
  std::vector<LogEntry> entries;
  std::vector<Span> entry_cells;
};
[[nodiscard]] absl::StatusOr<DecodedImage> DecodeImagePayload(absl::string_view payload);

}  // namespace kv::storage
