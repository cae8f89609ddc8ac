#include "properties/raft/raft_checker.h"

#include <fmt/format.h>

#include <algorithm>

namespace kv::properties {
namespace {

uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t z = a ^ (b * 0xd6e8feb86659fd93ULL) ^ 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t EntryContentHash(const raft::Entry& entry) {
  // FNV-1a over the bytes, then mixed with the type.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : entry.data()) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return Mix(hash, static_cast<uint64_t>(entry.type()));
}

uint64_t NextStateHash(uint64_t previous, const raft::Entry& entry) {
  return Mix(previous, EntryContentHash(entry));
}

void RaftChecker::Fail(std::string message) {
  if (violation_count_ == 0) first_violation_ = std::move(message);
  ++violation_count_;
}

void RaftChecker::OnEntriesPersisted(uint64_t member, uint64_t prev_term,
                                     const std::vector<raft::Entry>& entries,
                                     uint64_t durable_last_index_before) {
  if (!entries.empty() && entries.front().index() <= durable_last_index_before) {
    // A leader overwrote a suffix: acknowledgements beyond it are void.
    MemberFacts& facts = members_[member];
    facts.acknowledged_index =
        std::min(facts.acknowledged_index, entries.front().index() - 1);
    facts.overwrite_term = std::max(facts.overwrite_term, entries.front().term());
  }
  for (const raft::Entry& entry : entries) {
    const LogEntryFacts facts{prev_term, EntryContentHash(entry)};
    auto [it, inserted] =
        entries_.emplace(std::make_pair(entry.index(), entry.term()), facts);
    if (!inserted && (it->second.prev_term != facts.prev_term ||
                      it->second.content_hash != facts.content_hash)) {
      Fail(fmt::format(
          "log matching: member {} persisted index {} term {} with previous "
          "term {} and content {:x}; another member has previous term {} and "
          "content {:x}",
          member, entry.index(), entry.term(), facts.prev_term,
          facts.content_hash, it->second.prev_term, it->second.content_hash));
    }
    prev_term = entry.term();
  }
}

void RaftChecker::OnHardStatePersisted(uint64_t member,
                                       const raft::HardState& hard_state) {
  MemberFacts& facts = members_[member];
  if (hard_state.term() < facts.durable_term) {
    Fail(fmt::format("durable term of member {} went back from {} to {}",
                     member, facts.durable_term, hard_state.term()));
  }
  if (hard_state.commit() < facts.durable_commit) {
    Fail(fmt::format("durable commit of member {} went back from {} to {}",
                     member, facts.durable_commit, hard_state.commit()));
  }
  facts.durable_term = std::max(facts.durable_term, hard_state.term());
  facts.durable_commit = std::max(facts.durable_commit, hard_state.commit());
}

void RaftChecker::OnApplied(uint64_t member, const raft::Entry& entry,
                            uint64_t state_hash, uint64_t member_term) {
  auto [committed, first] = committed_entries_.emplace(
      entry.index(), CommittedEntry{entry.term(), member_term});
  if (!first && committed->second.term != entry.term()) {
    Fail(fmt::format(
        "state machine safety: member {} applied index {} from term {}, "
        "another member applied it from term {}",
        member, entry.index(), entry.term(), committed->second.term));
  }
  committed->second.commit_term_bound =
      std::min(committed->second.commit_term_bound, member_term);
  auto [it, inserted] = state_hash_by_index_.emplace(entry.index(), state_hash);
  if (!inserted && it->second != state_hash) {
    Fail(fmt::format(
        "state machine safety: member {} has state {:x} at index {}, another "
        "member had {:x}",
        member, state_hash, entry.index(), it->second));
  }
}

void RaftChecker::OnRestart(uint64_t member, uint64_t durable_last_index) {
  MemberFacts& facts = members_[member];
  if (durable_last_index < facts.acknowledged_index) {
    Fail(fmt::format(
        "durability: member {} acknowledged entries up to index {} but "
        "restarted with only {} durable",
        member, facts.acknowledged_index, durable_last_index));
  }
  facts.acknowledged_index = std::min(facts.acknowledged_index, durable_last_index);
}

void RaftChecker::OnSnapshotInstalled(uint64_t member, uint64_t index,
                                      uint64_t state_hash) {
  MemberFacts& snapshot_facts = members_[member];
  snapshot_facts.acknowledged_index = std::min(snapshot_facts.acknowledged_index, index);
  auto [it, inserted] = state_hash_by_index_.emplace(index, state_hash);
  if (!inserted && it->second != state_hash) {
    Fail(fmt::format(
        "state machine safety: member {} installed a snapshot with state {:x} "
        "at index {}, another member had {:x}",
        member, state_hash, index, it->second));
  }
}

void RaftChecker::OnReadRequested(uint64_t read_id) {
  read_min_index_[read_id] = max_commit_observed_;
}

void RaftChecker::OnReadServed(uint64_t member, uint64_t read_id,
                               uint64_t index) {
  auto it = read_min_index_.find(read_id);
  if (it == read_min_index_.end()) return;  // Served twice; checked once.
  ++reads_checked_;
  if (index < it->second) {
    Fail(fmt::format(
        "linearizable read: member {} answered read {} at index {}, but index "
        "{} was already committed when it was requested",
        member, read_id, index, it->second));
  }
  read_min_index_.erase(it);
}

void RaftChecker::OnMessageSent(uint64_t member, const raft::Message& message) {
  if (message.type() == raft::MSG_APP_RESP && !message.reject()) {
    MemberFacts& facts = members_[member];
    if (message.term() >= facts.overwrite_term) {
      facts.acknowledged_index = std::max(facts.acknowledged_index, message.index());
    }
    return;
  }
  if (message.type() != raft::MSG_VOTE_RESP || message.reject()) return;
  auto [it, inserted] = vote_by_member_term_.emplace(
      std::make_pair(member, message.term()), message.to());
  if (!inserted && it->second != message.to()) {
    Fail(fmt::format("member {} granted its vote to {} and to {} in term {}",
                     member, it->second, message.to(), message.term()));
  }
}

void RaftChecker::ObserveMember(uint64_t member, uint64_t incarnation,
                                const raft::Raft& raft) {
  MemberFacts& facts = members_[member];
  const uint64_t commit = raft.log().committed();
  if (facts.incarnation == incarnation && commit < facts.commit) {
    Fail(fmt::format("commit index of member {} went back from {} to {}",
                     member, facts.commit, commit));
  }
  facts.incarnation = incarnation;
  facts.commit = commit;
  max_commit_observed_ = std::max(max_commit_observed_, commit);

  if (raft.role() == raft::Role::kLeader) {
    auto [it, inserted] = leader_by_term_.emplace(raft.term(), member);
    if (!inserted && it->second != member) {
      Fail(fmt::format("election safety: members {} and {} both led term {}",
                       it->second, member, raft.term()));
    }
    if (inserted) CheckLeaderCompleteness(member, raft);
  }
}

void RaftChecker::CheckLeaderCompleteness(uint64_t member,
                                          const raft::Raft& raft) {
  const raft::RaftLog& log = raft.log();
  const uint64_t first = log.FirstIndex();
  for (const auto& [index, committed] : committed_entries_) {
    if (index < first) continue;  // Covered by its snapshot.
    // Perhaps committed in this leader's term or a later one.
    if (committed.commit_term_bound >= raft.term()) continue;
    const uint64_t term = committed.term;
    if (index > log.LastIndex() || log.TermOrZero(index) != term) {
      Fail(fmt::format(
          "leader completeness: member {} leads term {} without committed "
          "index {} of term {} (its term there: {}, last index {})",
          member, raft.term(), index, term, log.TermOrZero(index),
          log.LastIndex()));
      return;
    }
  }
}

}  // namespace kv::properties
