#include "raft/progress.h"

#include <gtest/gtest.h>

namespace kv::raft {
namespace {

Progress MakeProgress(uint64_t match, uint64_t next) {
  Progress progress(next, /*max_inflight_msgs=*/2, /*max_inflight_bytes=*/0, false);
  progress.match = match;
  return progress;
}

TEST(ProgressTest, ProbeSendsOneMessageUntilAnswered) {
  Progress progress = MakeProgress(0, 5);
  EXPECT_FALSE(progress.IsPaused());
  progress.SentEntries(7, 10, true);
  EXPECT_TRUE(progress.IsPaused());
  EXPECT_EQ(progress.next, 5u);  // Probe does not advance optimistically.
  progress.MaybeUpdate(7);
  EXPECT_FALSE(progress.IsPaused());
}

TEST(ProgressTest, ReplicateAdvancesOptimisticallyWithinTheWindow) {
  Progress progress = MakeProgress(4, 5);
  progress.BecomeReplicate();
  progress.SentEntries(6, 1, true);
  progress.SentEntries(8, 1, true);
  EXPECT_EQ(progress.next, 9u);
  EXPECT_TRUE(progress.IsPaused());
  progress.inflights.FreeLE(6);
  EXPECT_FALSE(progress.IsPaused());
}

TEST(ProgressTest, StaleRejectionIsIgnored) {
  Progress replicate = MakeProgress(6, 9);
  replicate.BecomeReplicate();
  EXPECT_FALSE(replicate.MaybeDecrTo(5, 5));
  Progress probe = MakeProgress(0, 9);
  EXPECT_FALSE(probe.MaybeDecrTo(3, 2));  // Not the outstanding probe (8).
}

TEST(ProgressTest, RejectionUsesTheFollowersHintButNeverGoesBelowMatch) {
  Progress probe = MakeProgress(2, 9);
  EXPECT_TRUE(probe.MaybeDecrTo(8, 4));
  EXPECT_EQ(probe.next, 5u);
  Progress below_match = MakeProgress(3, 9);
  EXPECT_TRUE(below_match.MaybeDecrTo(8, 0));
  EXPECT_EQ(below_match.next, 4u);
}

TEST(ProgressTest, SnapshotStateIsPausedAndProbesPastTheSnapshotAfterwards) {
  Progress progress = MakeProgress(0, 1);
  progress.BecomeSnapshot(20);
  EXPECT_TRUE(progress.IsPaused());
  progress.BecomeProbe();
  EXPECT_EQ(progress.next, 21u);
}

TEST(ProgressTest, ResetForNewTermForgetsEverything) {
  Progress progress = MakeProgress(7, 9);
  progress.BecomeSnapshot(30);
  progress.recent_active = true;
  progress.heartbeat_seq_acked = 4;
  progress.ResetForNewTerm(12);
  EXPECT_EQ(progress.match, 0u);
  EXPECT_EQ(progress.next, 12u);
  EXPECT_EQ(progress.state, ProgressState::kProbe);
  EXPECT_FALSE(progress.recent_active);
  EXPECT_EQ(progress.heartbeat_seq_acked, 0u);
  EXPECT_EQ(progress.pending_snapshot_index, 0u);
}

TEST(ProgressTrackerTest, CommittedCountsOnlyVoters) {
  ProgressTracker tracker(4, 0);
  ConfState conf_state;
  conf_state.add_voters(1);
  conf_state.add_voters(2);
  conf_state.add_voters(3);
  conf_state.add_learners(4);
  tracker.Reset(conf_state, 1);
  tracker.Find(1)->match = 10;
  tracker.Find(4)->match = 10;
  EXPECT_EQ(tracker.Committed(), 0u);
  tracker.Find(2)->match = 8;
  EXPECT_EQ(tracker.Committed(), 8u);
}

TEST(ProgressTrackerTest, PromotingALearnerMakesItAVoter) {
  ProgressTracker tracker(4, 0);
  ConfState conf_state;
  conf_state.add_voters(1);
  conf_state.add_learners(2);
  tracker.Reset(conf_state, 1);
  ConfChange change;
  change.set_type(CONF_CHANGE_ADD_VOTER);
  change.set_node_id(2);
  tracker.ApplyConfChange(change, 5);
  EXPECT_EQ(tracker.voters(), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(tracker.learners().empty());
}

// Find and the quorum functions read lists derived from the map: they must
// follow every membership change, and keep each member's progress.
TEST(ProgressTrackerTest, LookupsFollowMembershipChanges) {
  ProgressTracker tracker(4, 0);
  ConfState conf_state;
  conf_state.add_voters(2);
  conf_state.add_voters(5);
  tracker.Reset(conf_state, 1);
  EXPECT_EQ(tracker.Find(1), nullptr);
  EXPECT_EQ(tracker.Find(3), nullptr);
  EXPECT_EQ(tracker.Find(6), nullptr);
  tracker.Find(5)->match = 7;
  ConfChange add;
  add.set_type(CONF_CHANGE_ADD_LEARNER);
  add.set_node_id(3);
  tracker.ApplyConfChange(add, 4);
  ASSERT_NE(tracker.Find(3), nullptr);
  EXPECT_EQ(tracker.Find(3)->next, 4u);
  EXPECT_TRUE(tracker.IsLearner(3));
  EXPECT_EQ(tracker.Find(5)->match, 7u);
  tracker.Find(2)->match = 6;
  EXPECT_EQ(tracker.Committed(), 6u);
  EXPECT_EQ(tracker.QuorumHeartbeatSeq(2, 9), 0u);
  tracker.Find(5)->heartbeat_seq_acked = 8;
  EXPECT_EQ(tracker.QuorumHeartbeatSeq(2, 9), 8u);
  ConfChange remove;
  remove.set_type(CONF_CHANGE_REMOVE_NODE);
  remove.set_node_id(2);
  tracker.ApplyConfChange(remove, 4);
  EXPECT_EQ(tracker.Find(2), nullptr);
  EXPECT_FALSE(tracker.IsMember(2));
  EXPECT_TRUE(tracker.IsVoter(5));
  // The single voter left decides alone.
  EXPECT_EQ(tracker.Committed(), 7u);
}

}  // namespace
}  // namespace kv::raft
