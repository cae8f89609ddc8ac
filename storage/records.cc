#include "storage/records.h"

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "storage/coding.h"
#include "storage/crc32c.h"

namespace kv::storage {
namespace {

absl::Status Malformed(absl::string_view what) {
  // A cell whose checksum matched but whose body does not parse was written
  // by a different format version or by a bug; either way it is unusable.
  return absl::DataLossError(absl::StrCat("malformed ", what, " after checksum verified"));
}

// OpenCell's error for a cell that is truncated or fails its checksum: out
// of line, with the frame its message needs.
[[gnu::noinline]] absl::Status CellError(absl::string_view cell, absl::string_view what,
                                         uint64_t number, bool numbered) {
  auto name = [&] { return numbered ? absl::StrCat(what, " ", number) : std::string(what); };
  if (cell.size() < kCellHeaderBytes) {
    return absl::DataLossError(absl::StrCat("checksum mismatch on ", name(), ": cell of ",
                                            cell.size(), " bytes is truncated"));
  }
  const uint32_t stored = UnmaskCrc(DecodeFixed32(cell.data()));
  const absl::string_view body = cell.substr(kCellHeaderBytes);
  const uint32_t computed = Crc32c(body);
  KV_CHECK_NE(stored, computed);
  return absl::DataLossError(absl::StrCat("checksum mismatch on ", name(), ": stored crc32c ",
                                          stored, ", computed ", computed, " over ", body.size(),
                                          " bytes"));
}

}  // namespace

std::string SealCell(absl::string_view body) {
  std::string cell;
  cell.reserve(kCellHeaderBytes + body.size());
  PutFixed32(cell, MaskCrc(Crc32c(body)));
  cell.append(body.data(), body.size());
  return cell;
}

absl::StatusOr<absl::string_view> OpenCell(absl::string_view cell, absl::string_view what) {
  return OpenCell(cell, what, 0, false);
}

absl::StatusOr<absl::string_view> OpenCell(absl::string_view cell, absl::string_view what,
                                           uint64_t number, bool numbered) {
  // The error text is built only on failure, out of line: cells are opened
  // on every read, and a StrCat per read, or the stack frame the messages
  // need, showed in the simulator's profile.
  if (cell.size() >= kCellHeaderBytes) {
    const absl::string_view body = cell.substr(kCellHeaderBytes);
    if (UnmaskCrc(DecodeFixed32(cell.data())) == Crc32c(body)) [[likely]] return body;
  }
  return CellError(cell, what, number, numbered);
}


std::string EncodeEntry(const LogEntry& entry) {
  std::string cell;
  AppendEntry(cell, entry);
  return cell;
}

void AppendEntry(std::string& out, const LogEntry& entry) {
  WriteEntryCell(GrowBy(out, EntryCellBytes(entry)), entry);
}

absl::StatusOr<LogEntry> DecodeEntry(absl::string_view cell, uint64_t expected_index) {
  absl::StatusOr<LogEntryView> view = DecodeEntryView(cell, expected_index);
  if (!view.ok()) return view.status();
  return LogEntry{view->index, view->term, std::string(view->payload)};
}

absl::StatusOr<LogEntryView> DecodeEntryViewSlow(absl::string_view cell,
                                                  uint64_t expected_index) {
  auto body = OpenCell(cell, "log entry", expected_index, true);
  if (!body.ok()) return body.status();
  ByteReader reader(*body);
  LogEntryView entry;
  if (!reader.ReadFixed64(entry.index) || !reader.ReadFixed64(entry.term)) {
    return Malformed("log entry");
  }
  if (entry.index != expected_index) {
    return absl::DataLossError(absl::StrCat("log entry stored at index ", expected_index,
                                            " says it is index ", entry.index));
  }
  entry.payload = reader.rest();
  return entry;
}

std::string EncodeHardState(const HardState& hard_state) {
  std::string cell;
  AppendHardState(cell, hard_state);
  return cell;
}

void AppendHardState(std::string& out, const HardState& hard_state) {
  WriteHardStateCell(GrowBy(out, kHardStateCellBytes), hard_state);
}

absl::StatusOr<HardState> DecodeHardState(absl::string_view cell) {
  auto body = OpenCell(cell, "hard state");
  if (!body.ok()) return body.status();
  ByteReader reader(*body);
  HardState hard_state;
  if (!reader.ReadFixed64(hard_state.term) || !reader.ReadFixed64(hard_state.vote) ||
      !reader.ReadFixed64(hard_state.commit) || !reader.empty()) {
    return Malformed("hard state");
  }
  return hard_state;
}

std::string EncodeLogBase(const LogBase& base) {
  std::string body;
  PutFixed64(body, base.index);
  PutFixed64(body, base.term);
  return SealCell(body);
}

absl::StatusOr<LogBase> DecodeLogBase(absl::string_view cell) {
  auto body = OpenCell(cell, "log base");
  if (!body.ok()) return body.status();
  ByteReader reader(*body);
  LogBase base;
  if (!reader.ReadFixed64(base.index) || !reader.ReadFixed64(base.term) || !reader.empty()) {
    return Malformed("log base");
  }
  return base;
}

std::string EncodeSnapshotMetadata(const StoredSnapshotMetadata& stored) {
  std::string body;
  PutFixed64(body, stored.metadata.index);
  PutFixed64(body, stored.metadata.term);
  PutLengthPrefixed(body, stored.metadata.config);
  PutFixed64(body, stored.data_bytes);
  PutFixed32(body, stored.data_crc);
  return SealCell(body);
}

absl::StatusOr<StoredSnapshotMetadata> DecodeSnapshotMetadata(absl::string_view cell) {
  auto body = OpenCell(cell, "snapshot metadata");
  if (!body.ok()) return body.status();
  ByteReader reader(*body);
  StoredSnapshotMetadata stored;
  absl::string_view config;
  if (!reader.ReadFixed64(stored.metadata.index) || !reader.ReadFixed64(stored.metadata.term) ||
      !reader.ReadLengthPrefixed(config) || !reader.ReadFixed64(stored.data_bytes) ||
      !reader.ReadFixed32(stored.data_crc) || !reader.empty()) {
    return Malformed("snapshot metadata");
  }
  stored.metadata.config = std::string(config);
  return stored;
}

absl::Status VerifySnapshotData(const StoredSnapshotMetadata& stored, absl::string_view data) {
  if (data.size() != stored.data_bytes) {
    return absl::DataLossError(absl::StrCat("snapshot ", stored.metadata.index, " data is ",
                                            data.size(), " bytes, metadata says ",
                                            stored.data_bytes));
  }
  const uint32_t computed = Crc32c(data);
  if (computed != stored.data_crc) {
    return absl::DataLossError(absl::StrCat("checksum mismatch on snapshot ",
                                            stored.metadata.index, " data: stored crc32c ",
                                            stored.data_crc, ", computed ", computed));
  }
  return absl::OkStatus();
}

std::string EncodeMutation(const Mutation& mutation) {
  std::string cell;
  AppendMutation(cell, mutation);
  return cell;
}

void AppendMutation(std::string& out, const Mutation& mutation) {
  WriteMutationCell(GrowBy(out, MutationCellBytes(mutation)), mutation);
}

absl::StatusOr<MutationView> DecodeMutationViewSlow(absl::string_view cell) {
  auto body = OpenCell(cell, "mutation");
  if (!body.ok()) return body.status();
  ByteReader reader(*body);
  uint8_t kind = 0;
  absl::string_view key;
  if (!reader.ReadByte(kind) || !reader.ReadLengthPrefixed(key)) return Malformed("mutation");
  if (kind != static_cast<uint8_t>(Mutation::Kind::kPut) &&
      kind != static_cast<uint8_t>(Mutation::Kind::kDelete)) {
    return Malformed("mutation kind");
  }
  return MutationView{static_cast<Mutation::Kind>(kind), key, reader.rest()};
}

absl::StatusOr<Mutation> DecodeMutation(absl::string_view cell) {
  auto view = DecodeMutationView(cell);
  if (!view.ok()) return view.status();
  return Mutation{view->kind, std::string(view->key), std::string(view->value)};
}

std::string EncodeValue(absl::string_view key, absl::string_view value) {
  std::string body;
  body.reserve(4 + key.size() + value.size());
  PutLengthPrefixed(body, key);
  body.append(value.data(), value.size());
  return SealCell(body);
}

absl::StatusOr<std::string> DecodeValue(absl::string_view cell, absl::string_view expected_key) {
  auto body = OpenCell(cell, "value");
  if (!body.ok()) return body.status();
  ByteReader reader(*body);
  absl::string_view key;
  if (!reader.ReadLengthPrefixed(key)) return Malformed("value");
  if (key != expected_key) {
    return absl::DataLossError(absl::StrCat("value cell found under key of ",
                                            expected_key.size(), " bytes belongs to another key"));
  }
  return std::string(reader.rest());
}

std::string EncodeAppliedIndex(uint64_t applied_index) {
  std::string body;
  PutFixed64(body, applied_index);
  return SealCell(body);
}

absl::StatusOr<uint64_t> DecodeAppliedIndex(absl::string_view cell) {
  auto body = OpenCell(cell, "applied index");
  if (!body.ok()) return body.status();
  ByteReader reader(*body);
  uint64_t applied_index = 0;
  if (!reader.ReadFixed64(applied_index) || !reader.empty()) return Malformed("applied index");
  return applied_index;
}

}  // namespace kv::storage
