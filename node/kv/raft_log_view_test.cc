// RaftLogView's reads over the simulated log storage.
#include "node/kv/raft_log_view.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "storage/testing/sim_harness.h"

namespace kv::node {
namespace {

raft::Entry MakeEntry(uint64_t index, uint64_t term, raft::EntryType type, std::string data) {
  raft::Entry entry;
  entry.set_index(index);
  entry.set_term(term);
  entry.set_type(type);
  entry.set_data(std::move(data));
  return entry;
}

// EntriesInto decodes over the buffer's earlier entries to reuse their
// strings: every field of a reused entry must be this read's, including
// those the new entry leaves at their defaults (not on the wire).
TEST(RaftLogViewTest, EntriesIntoLeavesNothingOfTheEntriesItReuses) {
  storage::testing::SimHarness harness;
  absl::StatusOr<std::unique_ptr<storage::LogStorage>> log = harness.OpenLog(1);
  ASSERT_TRUE(log.ok()) << log.status();
  const std::vector<raft::Entry> stored = {
      MakeEntry(1, 1, raft::ENTRY_NORMAL, "first"),
      MakeEntry(2, 1, raft::ENTRY_NORMAL, ""),
      MakeEntry(3, 2, raft::ENTRY_CONF_CHANGE, "c"),
  };
  storage::LogWrite write;
  for (const raft::Entry& e : stored) RaftLogView::ToStorage(e, write.entries.emplace_back());
  bool written = false;
  (*log)->Write(write, [&written](absl::Status s) {
    ASSERT_TRUE(s.ok()) << s;
    written = true;
  });
  ASSERT_TRUE(harness.RunUntil([&written] { return written; }));

  RaftLogView view(**log, raft::ConfState());
  std::vector<raft::Entry> out(4, MakeEntry(9, 9, raft::ENTRY_CONF_CHANGE, "stale data"));
  ASSERT_TRUE(view.EntriesInto(1, 4, 0, out).ok());
  ASSERT_EQ(out.size(), stored.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(out[i].SerializeAsString(), stored[i].SerializeAsString()) << "entry " << i;
  }
  // A shorter read drops the rest; Entries returns the same entries.
  ASSERT_TRUE(view.EntriesInto(2, 3, 0, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].SerializeAsString(), stored[1].SerializeAsString());
  absl::StatusOr<std::vector<raft::Entry>> fresh = view.Entries(1, 4, 0);
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->size(), stored.size());
  EXPECT_EQ((*fresh)[2].SerializeAsString(), stored[2].SerializeAsString());
}

}  // namespace
}  // namespace kv::node
