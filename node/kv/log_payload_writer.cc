#include "node/kv/log_payload_writer.h"

#include "node/env/check.h"
#include "node/kv/entry_writer.h"

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
  const size_t total = EntryBytes(entry);
  // Unknown fields take at least a byte each (their tag), so the sizes
  // differ exactly when there are some. Asking reflection would cost more.
  if (entry.ByteSizeLong() != total) {
    out = entry.SerializeAsString();
    return;
  }
  out.resize(total);
  char* const end = WriteEntry(entry, out.data());
  KV_CHECK(end == out.data() + out.size());
}

}  // namespace kv::node
