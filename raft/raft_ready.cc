// Raft core: the Ready batch and the host's acknowledgements, which carry
// the persistence rule: term, vote and entries are durable before any message
// that depends on them leaves (Raft paper Figure 2, "respond after persisting";
// etcd raft README); the leader's own entries may be written in parallel with
// replication (thesis 10.2.1) because its own match counts only after
// AckPersisted.
#include <algorithm>

#include "raft/raft.h"
#include "raft/raft_check.h"
#include "raft/unknown_fields.h"

namespace kv::raft {
namespace {

void SetHardState(HardState& h, uint64_t term, uint64_t vote, uint64_t commit) {
  h.set_term(term);
  h.set_vote(vote);
  h.set_commit(commit);
}

// A Ready's entry vector with nothing to carry this time: its entries are
// parked (the larger set kept) rather than destroyed.
void ParkEntries(std::vector<Entry>& entries, std::vector<Entry>& parked) {
  if (entries.empty()) return;
  if (entries.size() > parked.size()) entries.swap(parked);
  entries.clear();
}

// Before a Take...Into writes over entries: takes the parked ones back if
// entries has none to write over.
void UnparkEntries(std::vector<Entry>& entries, std::vector<Entry>& parked) {
  if (entries.empty() && !parked.empty()) entries.swap(parked);
}

}  // namespace

Ready Raft::GetReady() {
  Ready ready;
  GetReadyInto(ready);
  return ready;
}

void Raft::GetReadyInto(Ready& ready) {
  RAFT_CHECK(!ready_outstanding_);
  ready.soft_state = SoftState{lead_, role_};
  handed_soft_state_ = ready.soft_state;
  const uint64_t commit = log_.committed();
  const bool term_or_vote_changed = term_ != handed_hard_state_.term() ||
                                    vote_ != handed_hard_state_.vote();
  if (!HardStateIs(handed_hard_state_, term_, vote_, commit)) {
    SetHardState(handed_hard_state_, term_, vote_, commit);
    // Every field is set over what the kept object held, unless the host
    // left unknown fields in it, which only Clear() drops.
    HardState& hard_state = ready.hard_state.RefillOver();
    if (HasUnknownFields(hard_state)) hard_state.Clear();
    SetHardState(hard_state, term_, vote_, commit);
    // Injected bug: the vote never reaches the host.
    if (config_.HasBug(kForgetToPersistVote)) ready.hard_state->set_vote(0);
  } else {
    ready.hard_state.reset();
  }
  // Each Take is guarded by its inline check: most Readies carry only some
  // of these, and the calls (and the empty results moved) showed.
  if (log_.HasUnstableSnapshotToPersist()) {
    ready.snapshot = log_.TakeUnstableSnapshot();
  } else {
    ready.snapshot.reset();
  }
  if (log_.HasUnstableEntriesToPersist()) {
    UnparkEntries(ready.entries, parked_entries_);
    log_.TakeUnstableEntriesInto(ready.entries);
  } else {
    ParkEntries(ready.entries, parked_entries_);
  }
  ready.must_sync =
      term_or_vote_changed || !ready.entries.empty() || ready.snapshot;
  if (log_.HasCommittedEntriesToApply()) {
    UnparkEntries(ready.committed_entries, parked_committed_entries_);
    log_.TakeCommittedEntriesInto(config_.max_committed_size_per_ready_bytes,
                                  ready.committed_entries);
    if (role_ == Role::kLeader) {
      const uint64_t applied_size = EntriesDataSize(ready.committed_entries);
      uncommitted_size_bytes_ -= std::min(uncommitted_size_bytes_, applied_size);
    }
  } else {
    ParkEntries(ready.committed_entries, parked_committed_entries_);
  }
  // Swapped, so both buffers are reused; the refilled Ready's old read
  // states are dropped. Most Readies carry none, and had none.
  if (!read_states_.empty() || !ready.read_states.empty()) {
    ready.read_states.swap(read_states_);
    read_states_.clear();
  }
  // Messages may leave before persistence only if the term and vote they
  // carry are already durable.
  const bool term_and_vote_durable = persisted_hard_state_.term() == term_ &&
                                     persisted_hard_state_.vote() == vote_;
  const size_t early_count = CountLeavingEarly(term_and_vote_durable);
  if (outgoing_count_ == 0) {
    // Nothing to hand over: the spares stay.
    ready.messages.clear();
    ready.messages_after_persist.clear();
  } else if (early_count == outgoing_count_) {
    // Swapped: whatever the refilled Ready still held (messages the host
    // did not give back) becomes the core's spares rather than destroyed.
    DropSpareMessages();
    ready.messages.swap(outgoing_);
    ready.messages_after_persist.clear();
  } else if (early_count == 0) {
    DropSpareMessages();
    ready.messages.clear();
    ready.messages_after_persist.swap(outgoing_);
  } else {
    ready.messages.clear();
    ready.messages_after_persist.clear();
    ready.messages.reserve(early_count);
    ready.messages_after_persist.reserve(outgoing_count_ - early_count);
    // The moved-from messages stay behind as spares.
    for (size_t i = 0; i < outgoing_count_; ++i) {
      std::vector<Message>& to = LeavesEarly(i, term_and_vote_durable)
                                     ? ready.messages
                                     : ready.messages_after_persist;
      to.push_back(std::move(outgoing_[i]));
    }
  }
  outgoing_count_ = 0;
  outgoing_immediate_count_ = 0;
  ready_outstanding_ = true;
  outstanding_hard_state_ = ready.hard_state.has_value();
  outstanding_snapshot_index_ =
      ready.snapshot ? ready.snapshot->metadata().index() : 0;
  outstanding_last_entry_index_ =
      ready.entries.empty() ? 0 : ready.entries.back().index();
  outstanding_last_entry_term_ =
      ready.entries.empty() ? 0 : ready.entries.back().term();
  outstanding_last_committed_index_ =
      ready.committed_entries.empty() ? 0 : ready.committed_entries.back().index();
}

void Raft::Advance(const Ready& ready) {
  const uint64_t last_committed = outstanding_last_committed_index_;
  AckPersisted();
  if (last_committed != 0) AckApplied(last_committed);
}

void Raft::AckPersisted() {
  RAFT_CHECK(ready_outstanding_);
  ready_outstanding_ = false;
  if (outstanding_hard_state_) {
    // Field by field, like HardStateIs: a protobuf copy costs more.
    SetHardState(persisted_hard_state_, handed_hard_state_.term(),
                 handed_hard_state_.vote(), handed_hard_state_.commit());
  }
  if (outstanding_snapshot_index_ != 0) {
    log_.StableSnapshotTo(outstanding_snapshot_index_);
  }
  if (outstanding_last_entry_index_ != 0) {
    log_.StableTo(outstanding_last_entry_index_, outstanding_last_entry_term_);
  }
  if (role_ == Role::kLeader) {
    Progress* self = tracker_.Find(id_);
    if (self != nullptr && self->MaybeUpdate(log_.PersistedIndex())) {
      if (MaybeCommit()) {
        OnCommitAdvanced();
        BroadcastCommit();
      }
    }
  }
}

std::vector<Entry> Raft::TakeCommittedEntriesNow() {
  std::vector<Entry> entries =
      log_.TakeCommittedEntries(config_.max_committed_size_per_ready_bytes);
  if (role_ == Role::kLeader) {
    const uint64_t applied_size = EntriesDataSize(entries);
    uncommitted_size_bytes_ -= std::min(uncommitted_size_bytes_, applied_size);
  }
  return entries;
}

std::vector<Message> Raft::TakeMessagesEarlyNow() {
  std::vector<Message> messages;
  // The same rule as GetReady: only immediate messages, and only if
  // the term and vote they carry are durable.
  const bool term_and_vote_durable = persisted_hard_state_.term() == term_ &&
                                     persisted_hard_state_.vote() == vote_;
  const size_t early_count = CountLeavingEarly(term_and_vote_durable);
  if (early_count == 0) return messages;
  if (early_count == outgoing_count_) {
    DropSpareMessages();
    messages = std::move(outgoing_);
    outgoing_.clear();
    outgoing_count_ = 0;
    outgoing_immediate_count_ = 0;
    return messages;
  }
  messages.reserve(early_count);
  size_t kept = 0;
  for (size_t i = 0; i < outgoing_count_; ++i) {
    if (LeavesEarly(i, term_and_vote_durable)) {
      messages.push_back(std::move(outgoing_[i]));
    } else {
      if (kept != i) outgoing_[kept] = std::move(outgoing_[i]);
      ++kept;
    }
  }
  // The moved-from messages past `kept` stay behind as spares.
  outgoing_count_ = kept;
  // Every message that left was an immediate one (LeavesEarly).
  outgoing_immediate_count_ -= early_count;
  return messages;
}

void Raft::EraseSpareMessages() {
  outgoing_.erase(outgoing_.begin() + static_cast<ptrdiff_t>(outgoing_count_), outgoing_.end());
}

void Raft::TakeSpareMessages(std::vector<Message>&& spent) {
  // Queued messages would have to be moved into the given-back buffer, and
  // keeping the larger set of spares destroys the fewest messages.
  if (outgoing_count_ != 0 || spent.size() <= outgoing_.size()) return;
  // The core's own spares, if any, are destroyed here.
  outgoing_ = std::move(spent);
  spent.clear();
}

size_t Raft::SpareMessageBytes() const {
  size_t bytes = 0;
  for (size_t i = outgoing_count_; i < outgoing_.size(); ++i) {
    for (const Entry& entry : outgoing_[i].entries()) bytes += entry.data().capacity();
    bytes += outgoing_[i].snapshot_data().capacity();
  }
  return bytes;
}

size_t Raft::LargestParkedEntryBytes() const {
  size_t largest = 0;
  for (const Entry& entry : parked_entries_) largest = std::max(largest, entry.data().capacity());
  for (const Entry& entry : parked_committed_entries_) largest = std::max(largest, entry.data().capacity());
  return largest;
}

bool Raft::LeavesEarly(size_t i, bool term_and_vote_durable) const {
  const bool bug_early_ack = outgoing_[i].type() == MSG_APP_RESP &&
                             config_.HasBug(kAckBeforePersist);
  return IsImmediate(outgoing_[i].type()) && (term_and_vote_durable || bug_early_ack);
}

size_t Raft::CountLeavingEarly(bool term_and_vote_durable) const {
  // Then every immediate message leaves, and no other (see LeavesEarly).
  if (term_and_vote_durable) return outgoing_immediate_count_;
  size_t count = 0;
  for (size_t i = 0; i < outgoing_count_; ++i) {
    if (LeavesEarly(i, term_and_vote_durable)) ++count;
  }
  return count;
}

std::vector<ReadState> Raft::TakeReadStatesNow() {
  std::vector<ReadState> read_states = std::move(read_states_);
  read_states_.clear();
  return read_states;
}

void Raft::CheckInvariants() const {
  log_.CheckInvariants();
  RAFT_CHECK_LE(outgoing_count_, outgoing_.size());
  RAFT_CHECK_EQ(outgoing_immediate_count_,
                static_cast<size_t>(std::count_if(
                    outgoing_.begin(), outgoing_.begin() + static_cast<ptrdiff_t>(outgoing_count_),
                    [this](const Message& m) { return IsImmediate(m.type()); })));
  switch (role_) {
    case Role::kLeader:
      RAFT_CHECK_EQ(lead_, id_);
      RAFT_CHECK_EQ(vote_, id_);
      break;
    case Role::kCandidate:
      RAFT_CHECK_EQ(vote_, id_);
      RAFT_CHECK_EQ(lead_, uint64_t{0});
      break;
    case Role::kPreCandidate:
      RAFT_CHECK_EQ(lead_, uint64_t{0});
      break;
    case Role::kFollower:
      RAFT_CHECK_NE(lead_, id_);
      break;
  }
  if (lead_transferee_ != 0) RAFT_CHECK(role_ == Role::kLeader);
  RAFT_CHECK_GE(term_, persisted_hard_state_.term());
  if (role_ == Role::kLeader) {
    for (const auto& [id, progress] : tracker_.progress()) {
      RAFT_CHECK_LT(progress.match, progress.next);
      RAFT_CHECK_LE(progress.match, log_.LastIndex());
    }
    const Progress* self = tracker_.progress().count(id_) != 0
                               ? &tracker_.progress().at(id_)
                               : nullptr;
    if (self != nullptr) RAFT_CHECK_LE(self->match, log_.PersistedIndex());
  } else {
    RAFT_CHECK(pending_reads_.empty());
  }
}

}  // namespace kv::raft
