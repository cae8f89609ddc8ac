#include "raft/entry_data.h"

#include <string>

#include <google/protobuf/arena.h>
#include <gtest/gtest.h>

namespace kv::raft {
namespace {

// A fresh entry's data is the shared default: MutableData gives it a string
// of its own, as mutable_data() would, and the default stays empty.
TEST(EntryDataTest, FreshEntryGetsItsOwnString) {
  Entry entry;
  MutableData(entry).assign("abc");
  EXPECT_EQ(entry.data(), "abc");
  EXPECT_NE(&entry.data(), &Entry::default_instance().data());
  EXPECT_EQ(Entry::default_instance().data(), "");
  Entry other;
  EXPECT_EQ(other.data(), "");
}

// An entry that owns its string gets that very string, capacity and all.
TEST(EntryDataTest, OwnedStringIsWrittenInPlace) {
  Entry entry;
  entry.set_data(std::string(100, 'x'));
  const std::string* owned = &entry.data();
  const size_t capacity = owned->capacity();
  std::string& data = MutableData(entry);
  EXPECT_EQ(&data, owned);
  EXPECT_EQ(&data, entry.mutable_data());
  data.assign("short");
  EXPECT_EQ(entry.data(), "short");
  EXPECT_EQ(entry.data().capacity(), capacity);
}

// A cleared field keeps its string, which MutableData reuses.
TEST(EntryDataTest, ClearedFieldIsReused) {
  Entry entry;
  entry.set_data("payload");
  const std::string* owned = &entry.data();
  entry.clear_data();
  EXPECT_EQ(&MutableData(entry), owned);
  entry.Clear();
  EXPECT_EQ(&MutableData(entry), owned);
}

// The result serializes as the same writes through mutable_data() would.
TEST(EntryDataTest, SameBytesAsMutableData) {
  Entry by_helper;
  Entry by_protobuf;
  for (const char* value : {"", "a", "longer than the small-string buffer of 15"}) {
    MutableData(by_helper).assign(value);
    by_protobuf.mutable_data()->assign(value);
    EXPECT_EQ(by_helper.SerializeAsString(), by_protobuf.SerializeAsString());
  }
}

// On an arena, the write goes through mutable_data().
TEST(EntryDataTest, ArenaEntryGoesThroughProtobuf) {
  google::protobuf::Arena arena;
  Entry& entry = *google::protobuf::Arena::CreateMessage<Entry>(&arena);
  MutableData(entry).assign("on the arena");
  EXPECT_EQ(entry.data(), "on the arena");
  EXPECT_EQ(&MutableData(entry), entry.mutable_data());
  EXPECT_EQ(Entry::default_instance().data(), "");
}

}  // namespace
}  // namespace kv::raft
