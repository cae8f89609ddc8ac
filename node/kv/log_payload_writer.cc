#include "node/kv/log_payload_writer.h"

#include "node/env/check.h"
#include "node/kv/entry_writer.h"
#include "raft/unknown_fields.h"

namespace kv::node {
namespace {

std::string WriteEntryBytes(const raft::Entry& entry, size_t total) {
  std::string bytes(total, '\0');
  char* const out = WriteEntry(entry, bytes.data());
  KV_CHECK(out == bytes.data() + bytes.size());
  return bytes;
}

}  // namespace

std::string EncodeEntry(const raft::Entry& entry) { return WriteEntryBytes(entry, EntryBytes(entry)); }

void SerializeEntryInto(const raft::Entry& entry, std::string& out) {
  // Only protobuf writes unknown fields back. Asked of the entry's metadata
  // (unknown_fields.h): protobuf's ByteSizeLong, compared with ours, cost
  // as much as the writing.
  if (raft::HasUnknownFields(entry)) {
    out = entry.SerializeAsString();
    return;
  }
  const size_t total = EntryBytes(entry);
  out.resize(total);
  char* const end = WriteEntry(entry, out.data());
  KV_CHECK(end == out.data() + out.size());
}

}  // namespace kv::node
