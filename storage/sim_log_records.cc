#include "storage/sim_log_records.h"

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "storage/coding.h"

namespace kv::storage {
namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed ", what, " in log journal"));
}

// Appends a length-prefixed cell and returns where the cell itself landed.
Span AppendCell(std::string& out, absl::string_view cell) {
  PutFixed32(out, static_cast<uint32_t>(cell.size()));
  const Span span{out.size(), cell.size()};
  out.append(cell.data(), cell.size());
  return span;
}

// Reads `count` length-prefixed entry cells starting at `first_index`,
// verifying each; copies their payloads into `entries` if kWithPayloads.
// Without payloads, the caller is recovery, which decodes payloads whose
// record checksum ParseJournal has just matched: it covers every byte of the
// cells, so their own checksums are not computed again (SimLogStorage
// checks them on every later read of an entry).
template <bool kWithPayloads>
absl::Status DecodeEntries(ByteReader& reader, absl::string_view payload,
                           std::vector<LogEntry>& entries, std::vector<Span>& spans) {
  uint64_t first_index = 0;
  uint32_t count = 0;
  if (!reader.ReadFixed64(first_index) || !reader.ReadFixed32(count)) return Malformed("entries");
  for (uint32_t i = 0; i < count; ++i) {
    absl::string_view cell;
    if (!reader.ReadLengthPrefixed(cell)) return Malformed("entry");
    LogEntryView entry;
    if (kWithPayloads || !DecodeWrittenEntry(cell, first_index + i, entry)) {
      // Every error comes from here, with the checksum checked too.
      absl::StatusOr<LogEntryView> checked = DecodeEntryView(cell, first_index + i);
      if (!checked.ok()) return checked.status();
      entry = *checked;
    }
    LogEntry& decoded = entries.emplace_back();
    decoded.index = entry.index;
    decoded.term = entry.term;
    if constexpr (kWithPayloads) decoded.payload.assign(entry.payload.data(), entry.payload.size());
    spans.push_back(Span{static_cast<uint64_t>(cell.data() - payload.data()), cell.size()});
  }
  return absl::OkStatus();
}

// A write payload's hard state and entries; see DecodeWritePayload.
template <bool kWithPayloads>
absl::Status DecodeWrite(absl::string_view payload, std::optional<HardState>& hard_state,
                         std::vector<LogEntry>& entries, std::vector<Span>& entry_cells) {
  ByteReader reader(payload);
  uint8_t has_hard_state = 0;
  if (!reader.ReadByte(has_hard_state) || has_hard_state > 1) return Malformed("write");
  hard_state.reset();
  if (has_hard_state == 1) {
    absl::string_view cell;
    if (!reader.ReadLengthPrefixed(cell)) return Malformed("hard state");
    auto decoded = DecodeHardState(cell);
    if (!decoded.ok()) return decoded.status();
    hard_state = *decoded;
  }
  if (absl::Status status = DecodeEntries<kWithPayloads>(reader, payload, entries, entry_cells);
      !status.ok()) {
    return status;
  }
  if (!reader.empty()) return Malformed("write trailer");
  return absl::OkStatus();
}

}  // namespace

void AppendWritePayload(const LogWrite& write, size_t skipped_count, std::string& out,
                        std::vector<Span>& entry_cells) {
  const size_t payload_bytes = WritePayloadBytes(write, skipped_count);
  WriteWritePayload(GrowBy(out, payload_bytes), payload_bytes, write, skipped_count,
                    entry_cells);
}

size_t WritePayloadBytes(const LogWrite& write, size_t skipped_count) {
  size_t payload_bytes =
      1 + (write.hard_state.has_value() ? 4 + kHardStateCellBytes : 0) + 8 + 4;
  for (size_t i = skipped_count; i < write.entries.size(); ++i) {
    payload_bytes += 4 + EntryCellBytes(write.entries[i]);
  }
  return payload_bytes;
}

EncodedPayload EncodeSnapshotPayload(const StoredSnapshotMetadata& stored,
                                     absl::string_view data) {
  EncodedPayload encoded;
  AppendCell(encoded.bytes, EncodeSnapshotMetadata(stored));
  encoded.snapshot_data = Span{encoded.bytes.size(), data.size()};
  encoded.bytes.append(data.data(), data.size());
  return encoded;
}

std::string EncodeCompactPayload(const LogBase& base) { return EncodeLogBase(base); }

EncodedPayload EncodeImagePayload(const LogImage& image) {
  EncodedPayload encoded;
  std::string& out = encoded.bytes;
  AppendCell(out, EncodeLogBase(image.base));
  out.push_back(image.snapshot.has_value() ? 1 : 0);
  if (image.snapshot.has_value()) {
    AppendCell(out, EncodeSnapshotMetadata(*image.snapshot));
    // The data is not a cell, but it is framed the same way; its checksum
    // lives in the metadata.
    encoded.snapshot_data = AppendCell(out, image.snapshot_data);
  }
  AppendCell(out, EncodeHardState(image.hard_state));
  PutFixed64(out, image.first_index);
  PutFixed32(out, static_cast<uint32_t>(image.entry_cells.size()));
  for (const std::string& cell : image.entry_cells) {
    encoded.entry_cells.push_back(AppendCell(out, cell));
  }
  return encoded;
}

absl::StatusOr<DecodedWrite> DecodeWritePayload(absl::string_view payload) {
  DecodedWrite decoded;
  if (absl::Status status =
          DecodeWrite<true>(payload, decoded.hard_state, decoded.entries, decoded.entry_cells);
      !status.ok()) {
    return status;
  }
  return decoded;
}

absl::Status DecodeWriteTermsInto(absl::string_view payload, LogWrite& write,
                                  std::vector<Span>& entry_cells) {
  write.entries.clear();
  entry_cells.clear();
  return DecodeWrite<false>(payload, write.hard_state, write.entries, entry_cells);
}

absl::StatusOr<DecodedSnapshot> DecodeSnapshotPayload(absl::string_view payload) {
  ByteReader reader(payload);
  absl::string_view cell;
  if (!reader.ReadLengthPrefixed(cell)) return Malformed("snapshot");
  auto stored = DecodeSnapshotMetadata(cell);
  if (!stored.ok()) return stored.status();
  DecodedSnapshot decoded{*std::move(stored), Span{}};
  decoded.data = Span{payload.size() - reader.remaining(), reader.remaining()};
  if (absl::Status status = VerifySnapshotData(decoded.stored, reader.rest()); !status.ok()) {
    return status;
  }
  return decoded;
}

absl::StatusOr<DecodedImage> DecodeImagePayload(absl::string_view payload) {
  ByteReader reader(payload);
  DecodedImage decoded;
  absl::string_view cell;
  if (!reader.ReadLengthPrefixed(cell)) return Malformed("image base");
  auto base = DecodeLogBase(cell);
  if (!base.ok()) return base.status();
  decoded.base = *base;
  uint8_t has_snapshot = 0;
  if (!reader.ReadByte(has_snapshot) || has_snapshot > 1) return Malformed("image");
  if (has_snapshot == 1) {
    absl::string_view data;
    if (!reader.ReadLengthPrefixed(cell) || !reader.ReadLengthPrefixed(data)) {
      return Malformed("image snapshot");
    }
    auto stored = DecodeSnapshotMetadata(cell);
    if (!stored.ok()) return stored.status();
    if (absl::Status status = VerifySnapshotData(*stored, data); !status.ok()) return status;
    decoded.snapshot = DecodedSnapshot{
        *std::move(stored), Span{static_cast<uint64_t>(data.data() - payload.data()), data.size()}};
  }
  if (!reader.ReadLengthPrefixed(cell)) return Malformed("image hard state");
  auto hard_state = DecodeHardState(cell);
  if (!hard_state.ok()) return hard_state.status();
  decoded.hard_state = *hard_state;
  if (absl::Status status =
          DecodeEntries<true>(reader, payload, decoded.entries, decoded.entry_cells);
      !status.ok()) {
    return status;
  }
  if (!reader.empty()) return Malformed("image trailer");
  return decoded;
}

}  // namespace kv::storage
