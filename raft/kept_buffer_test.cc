#include "raft/kept_buffer.h"

#include <string>

#include <gtest/gtest.h>

namespace kv::raft {
namespace {

constexpr size_t kHugeBytes = 16 * kMaxKeptBufferBytes;

TEST(KeptBufferTest, AHugeStringIsReleased) {
  std::string kept(kHugeBytes, 'v');
  kept.clear();  // As a spare is: its contents stale, its buffer kept.
  ReleaseIfHuge(kept);
  EXPECT_TRUE(kept.empty());
  EXPECT_LE(kept.capacity(), kMaxKeptBufferBytes);
}

TEST(KeptBufferTest, ASmallStringKeepsItsBufferAndContents) {
  std::string kept(kMaxKeptBufferBytes, 'v');
  const char* const buffer = kept.data();
  const size_t capacity = kept.capacity();
  ReleaseIfHuge(kept);
  EXPECT_EQ(kept.data(), buffer);
  EXPECT_EQ(kept.capacity(), capacity);
  EXPECT_EQ(kept, std::string(kMaxKeptBufferBytes, 'v'));
}

TEST(KeptBufferTest, AnEntrysHugeDataIsReleasedAndTheRestKept) {
  Entry huge;
  huge.set_index(7);
  huge.set_data(std::string(kHugeBytes, 'd'));
  ReleaseIfHuge(huge);
  EXPECT_LE(huge.data().capacity(), kMaxKeptBufferBytes);
  EXPECT_EQ(huge.index(), 7u);

  Entry small;
  small.set_data("small");
  const char* const buffer = small.data().data();
  ReleaseIfHuge(small);
  EXPECT_EQ(small.data().data(), buffer);
  EXPECT_EQ(small.data(), "small");

  Entry empty;
  ReleaseIfHuge(empty);
  // Still the shared default string: none was allocated.
  EXPECT_EQ(&empty.data(), &Entry::default_instance().data());
}

TEST(KeptBufferTest, AMessagesHugeEntriesAndSnapshotDataAreReleased) {
  Message message;
  message.add_entries()->set_data(std::string(kHugeBytes, 'a'));
  message.add_entries()->set_data("small");
  message.add_entries()->set_data(std::string(kHugeBytes, 'b'));
  message.set_snapshot_data(std::string(kHugeBytes, 's'));
  const char* const small = message.entries(1).data().data();
  ReleaseIfHuge(message);
  ASSERT_EQ(message.entries_size(), 3);
  EXPECT_LE(message.entries(0).data().capacity(), kMaxKeptBufferBytes);
  EXPECT_EQ(message.entries(1).data().data(), small);
  EXPECT_LE(message.entries(2).data().capacity(), kMaxKeptBufferBytes);
  EXPECT_LE(message.snapshot_data().capacity(), kMaxKeptBufferBytes);
}

}  // namespace
}  // namespace kv::raft
