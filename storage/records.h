#pragma once
// Checksummed encodings of everything storage persists, shared by the RocksDB
// backend and the simulated disk so both detect corruption the same way.
// Layer: storage/.
//
// Every stored value is a "cell": a masked CRC32C of the body, then the body.
// A cell whose checksum does not match decodes to kDataLoss naming what was
// being read; storage never hands such bytes to a caller. Bodies embed their
// own identity (an entry its index, a key-value cell its key) so a value
// found under the wrong key is detected too.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/types.h"

namespace kv::storage {

// Bytes of cell overhead (the checksum).
inline constexpr size_t kCellHeaderBytes = 4;

// Wraps `body` in a cell.
std::string SealCell(absl::string_view body);

// Writes the checksum of the `body_size` bytes at `body`, filled in, into
// their cell's header just before them, and returns the end of the cell.
// The cells of every journal record are built in place this way, with
// plain stores into a buffer grown once: an append per field showed in the
// simulator's profile. Inline, with the writers below: they run per cell
// of every journal record, and the calls cost as much as their stores.
inline char* SealCellAt(char* body, size_t body_size) {
  EncodeFixed32(body - kCellHeaderBytes, MaskCrc(Crc32c(absl::string_view(body, body_size))));
  return body + body_size;
}

// Verifies a cell and returns its body (a view into `cell`). Errors:
// kDataLoss ("checksum mismatch on <what>") if the cell is short or corrupt.
[[nodiscard]] absl::StatusOr<absl::string_view> OpenCell(absl::string_view cell,
                                                         absl::string_view what);
// The same, naming the cell "<what> <number>" in the error when `numbered`.
[[nodiscard]] absl::StatusOr<absl::string_view> OpenCell(absl::string_view cell,
                                                         absl::string_view what, uint64_t number,
                                                         bool numbered);

// A Raft log entry: body [index][term][payload]. AppendEntry appends the
// same cell to `out`.
std::string EncodeEntry(const LogEntry& entry);
void AppendEntry(std::string& out, const LogEntry& entry);
// The size of that cell, and the cell written at `p` (exactly that many
// bytes, returning their end): for encoders that size a whole record first
// and grow their buffer once, since growing it per cell (a capacity check
// and zero fill each time) showed in the simulator's profile.
inline size_t EntryCellBytes(const LogEntry& entry) {
  return kCellHeaderBytes + 16 + entry.payload.size();
}
inline char* WriteEntryCell(char* p, const LogEntry& entry) {
  char* body = p + kCellHeaderBytes;
  EncodeFixed64(body, entry.index);
  EncodeFixed64(body + 8, entry.term);
  CopyBytes(body + 16, entry.payload);
  return SealCellAt(body, EntryCellBytes(entry) - kCellHeaderBytes);
}
// Errors: kDataLoss if corrupt, or if the cell holds another index than
// `expected_index`.
[[nodiscard]] absl::StatusOr<LogEntry> DecodeEntry(absl::string_view cell,
                                                   uint64_t expected_index);
// The same without copying the payload: it views into `cell`.
struct LogEntryView {
  uint64_t index = 0;
  uint64_t term = 0;
  absl::string_view payload;
};
[[nodiscard]] absl::StatusOr<LogEntryView> DecodeEntryView(absl::string_view cell,
                                                           uint64_t expected_index);
// DecodeEntryView out of line: what it does with all but an intact cell of
// the expected entry, which it decodes inline (below).
[[nodiscard]] absl::StatusOr<LogEntryView> DecodeEntryViewSlow(absl::string_view cell,
                                                               uint64_t expected_index);

// A hard state: body [term][vote][commit]. Errors: kDataLoss if corrupt.
std::string EncodeHardState(const HardState& hard_state);
void AppendHardState(std::string& out, const HardState& hard_state);
// As for entries: the cell's size, and the cell written at `p`.
inline constexpr size_t kHardStateCellBytes = kCellHeaderBytes + 24;
inline char* WriteHardStateCell(char* p, const HardState& hard_state) {
  char* body = p + kCellHeaderBytes;
  EncodeFixed64(body, hard_state.term);
  EncodeFixed64(body + 8, hard_state.vote);
  EncodeFixed64(body + 16, hard_state.commit);
  return SealCellAt(body, kHardStateCellBytes - kCellHeaderBytes);
}
[[nodiscard]] absl::StatusOr<HardState> DecodeHardState(absl::string_view cell);

// The position just before the first stored entry (the compaction point):
// index and term of the last entry dropped from the log.
struct LogBase {
  uint64_t index = 0;
  uint64_t term = 0;
  friend bool operator==(const LogBase&, const LogBase&) = default;
};
// Body [index][term]. Errors: kDataLoss if corrupt.
std::string EncodeLogBase(const LogBase& base);
[[nodiscard]] absl::StatusOr<LogBase> DecodeLogBase(absl::string_view cell);

// Snapshot metadata as stored: the Raft metadata plus the size and CRC32C of
// the data, which is stored apart (possibly in chunks) and verified whole
// when loaded.
struct StoredSnapshotMetadata {
  SnapshotMetadata metadata;
  uint64_t data_bytes = 0;
  uint32_t data_crc = 0;
};
// Body [index][term][config length][config][data bytes][data crc].
// Errors: kDataLoss if corrupt.
std::string EncodeSnapshotMetadata(const StoredSnapshotMetadata& stored);
[[nodiscard]] absl::StatusOr<StoredSnapshotMetadata> DecodeSnapshotMetadata(
    absl::string_view cell);

// Verifies loaded snapshot data against its stored size and CRC. Errors:
// kDataLoss naming the snapshot index.
[[nodiscard]] absl::Status VerifySnapshotData(const StoredSnapshotMetadata& stored,
                                              absl::string_view data);

// A state-machine mutation: body [kind][key length][key][value].
// Errors: kDataLoss if corrupt or of an unknown kind. AppendMutation appends
// the same cell to `out`.
std::string EncodeMutation(const Mutation& mutation);
void AppendMutation(std::string& out, const Mutation& mutation);
// As for entries: the cell's size, and the cell written at `p`.
inline size_t MutationCellBytes(const Mutation& mutation) {
  return kCellHeaderBytes + 5 + mutation.key.size() + mutation.value.size();
}
inline char* WriteMutationCell(char* p, const Mutation& mutation) {
  char* body = p + kCellHeaderBytes;
  body[0] = static_cast<char>(mutation.kind);
  EncodeFixed32(body + 1, static_cast<uint32_t>(mutation.key.size()));
  CopyBytes(CopyBytes(body + 5, mutation.key), mutation.value);
  return SealCellAt(body, MutationCellBytes(mutation) - kCellHeaderBytes);
}
[[nodiscard]] absl::StatusOr<Mutation> DecodeMutation(absl::string_view cell);
// A verified mutation cell as views into the cell (no copies).
struct MutationView {
  Mutation::Kind kind = Mutation::Kind::kPut;
  absl::string_view key;
  absl::string_view value;
};
[[nodiscard]] absl::StatusOr<MutationView> DecodeMutationView(absl::string_view cell);
// DecodeMutationView out of line: what it does with all but an intact,
// well-formed cell, which it decodes inline (below).
[[nodiscard]] absl::StatusOr<MutationView> DecodeMutationViewSlow(absl::string_view cell);

// A stored value of a shard: body [key length][key][value]. Errors:
// kDataLoss if corrupt or if the cell belongs to another key.
std::string EncodeValue(absl::string_view key, absl::string_view value);
[[nodiscard]] absl::StatusOr<std::string> DecodeValue(absl::string_view cell,
                                                      absl::string_view expected_key);

// A shard's applied index: body [index]. Errors: kDataLoss if corrupt.
std::string EncodeAppliedIndex(uint64_t applied_index);
[[nodiscard]] absl::StatusOr<uint64_t> DecodeAppliedIndex(absl::string_view cell);

// The decoders of the cells read on every entry and value read, inline in
// their usual case: the call, and the StatusOr passed back through memory,
// cost about as much as the decoding itself. Anything unusual, including
// every error, goes to the out-of-line decoder, which checks it all again.

// Whether `cell` holds a body of at least `min_body_bytes` whose checksum
// matches (OpenCell's usual case).
inline bool CellIsIntact(absl::string_view cell, size_t min_body_bytes) {
  return cell.size() >= kCellHeaderBytes + min_body_bytes &&
         UnmaskCrc(DecodeFixed32(cell.data())) == Crc32c(cell.substr(kCellHeaderBytes));
}

// The usual cases alone, without a Status: true, with `entry` (or
// `mutation`) set, for an intact cell (of the expected entry); false for
// anything else, which the decoders above hand to their out-of-line part.
// For readers with a fallback of their own, so that their usual case
// builds no StatusOr either (SimLogStorage::VisitEntries and
// SimStateMachineStorage::GetInto, on every entry and value read).
//
// The Written variants check everything but the checksum: for a reader
// that knows the cell's bytes are still those written with it
// (SimDisk::alterations), where the checksum would only compute again what
// the write computed. A cell they accept is one the Intact variants accept.
[[nodiscard]] inline bool DecodeWrittenEntry(absl::string_view cell, uint64_t expected_index,
                                             LogEntryView& entry) {
  if (cell.size() < kCellHeaderBytes + 16) [[unlikely]] return false;
  const char* body = cell.data() + kCellHeaderBytes;
  if (DecodeFixed64(body) != expected_index) [[unlikely]] return false;
  entry = LogEntryView{expected_index, DecodeFixed64(body + 8), cell.substr(kCellHeaderBytes + 16)};
  return true;
}

[[nodiscard]] inline bool DecodeIntactEntry(absl::string_view cell, uint64_t expected_index,
                                            LogEntryView& entry) {
  return CellIsIntact(cell, 16) && DecodeWrittenEntry(cell, expected_index, entry);
}

[[nodiscard]] inline bool DecodeWrittenMutation(absl::string_view cell, MutationView& mutation) {
  if (cell.size() < kCellHeaderBytes + 5) [[unlikely]] return false;
  const char* body = cell.data() + kCellHeaderBytes;
  const auto kind = static_cast<uint8_t>(body[0]);
  const uint32_t key_bytes = DecodeFixed32(body + 1);
  const size_t rest_bytes = cell.size() - kCellHeaderBytes - 5;
  if ((kind != static_cast<uint8_t>(Mutation::Kind::kPut) &&
       kind != static_cast<uint8_t>(Mutation::Kind::kDelete)) ||
      key_bytes > rest_bytes) [[unlikely]] {
    return false;
  }
  mutation = MutationView{static_cast<Mutation::Kind>(kind), absl::string_view(body + 5, key_bytes),
                          absl::string_view(body + 5 + key_bytes, rest_bytes - key_bytes)};
  return true;
}

[[nodiscard]] inline bool DecodeIntactMutation(absl::string_view cell, MutationView& mutation) {
  return CellIsIntact(cell, 5) && DecodeWrittenMutation(cell, mutation);
}

inline absl::StatusOr<LogEntryView> DecodeEntryView(absl::string_view cell,
                                                    uint64_t expected_index) {
  LogEntryView entry;
  if (DecodeIntactEntry(cell, expected_index, entry)) [[likely]] return entry;
  return DecodeEntryViewSlow(cell, expected_index);
}

inline absl::StatusOr<MutationView> DecodeMutationView(absl::string_view cell) {
  MutationView mutation;
  if (DecodeIntactMutation(cell, mutation)) [[likely]] return mutation;
  return DecodeMutationViewSlow(cell);
}

}  // namespace kv::storage
