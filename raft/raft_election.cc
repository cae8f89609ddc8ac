// Raft core: elections (Raft paper section 5.2, thesis 9.6 for pre-vote).
#include <fmt/format.h>

#include "raft/raft.h"
#include "raft/raft_check.h"

namespace kv::raft {

absl::Status Raft::Campaign() {
  if (role_ == Role::kLeader) {
    return absl::FailedPreconditionError(
        fmt::format("raft {}: already leader of term {}", id_, term_));
  }
  if (!Promotable()) {
    return absl::FailedPreconditionError(
        fmt::format("raft {}: not a voter, cannot campaign", id_));
  }
  if (HasUnappliedConfChanges()) {
    return absl::FailedPreconditionError(fmt::format(
        "raft {}: committed conf changes not applied yet (applied {}, "
        "committed {})",
        id_, log_.applied(), log_.committed()));
  }
  Hup(/*transfer=*/false);
  return absl::OkStatus();
}

void Raft::Hup(bool transfer) {
  if (role_ == Role::kLeader || !Promotable()) return;
  // A member that has committed but not applied a conf change does not know
  // the membership it would count votes in (etcd raft, same rule).
  if (HasUnappliedConfChanges()) return;
  if (config_.pre_vote && !transfer) {
    StartCampaign(CampaignType::kPreElection, false);
  } else {
    StartCampaign(CampaignType::kElection, transfer);
  }
}

bool Raft::HasUnappliedConfChanges() const {
  if (log_.committed() <= log_.applied()) return false;
  absl::StatusOr<std::vector<Entry>> entries =
      log_.Slice(log_.applied() + 1, log_.committed() + 1, 0);
  RAFT_CHECK(entries.ok());
  for (const Entry& entry : *entries) {
    if (entry.type() == ENTRY_CONF_CHANGE) return true;
  }
  return false;
}

void Raft::StartCampaign(CampaignType type, bool transfer) {
  MessageType request_type;
  uint64_t request_term;
  if (type == CampaignType::kPreElection) {
    BecomePreCandidate();
    request_type = MSG_PRE_VOTE;
    request_term = term_ + 1;
  } else {
    BecomeCandidate();
    request_type = MSG_VOTE;
    request_term = term_;
  }
  if (tracker_.TallyVotes() == VoteResult::kWon) {
    // A single voter wins at once.
    if (type == CampaignType::kPreElection) {
      StartCampaign(CampaignType::kElection, transfer);
    } else {
      BecomeLeader();
      BroadcastAppend();
    }
    return;
  }
  const uint64_t last_index = log_.LastIndex();
  const uint64_t last_term = log_.LastTerm();
  for (uint64_t voter : tracker_.voters()) {
    if (voter == id_) continue;
    Message request;
    request.set_type(request_type);
    request.set_to(voter);
    request.set_term(request_term);
    request.set_index(last_index);
    request.set_log_term(last_term);
    request.set_transfer(transfer);
    Send(std::move(request));
  }
}

void Raft::HandleVoteRequest(const Message& m) {
  // We may grant if we already voted for this candidate (a retransmission),
  // have not voted and know no leader in this term, or it is a pre-vote for
  // a future term.
  const bool can_vote = vote_ == m.from() || (vote_ == 0 && lead_ == 0) ||
                        (m.type() == MSG_PRE_VOTE && m.term() > term_);
  Message reply;
  reply.set_to(m.from());
  reply.set_type(m.type() == MSG_VOTE ? MSG_VOTE_RESP : MSG_PRE_VOTE_RESP);
  // Election restriction (Raft paper section 5.4.1).
  if (can_vote && log_.IsUpToDate(m.index(), m.log_term())) {
    reply.set_term(m.term());
    if (m.type() == MSG_VOTE) {
      election_elapsed_ticks_ = 0;
      vote_ = m.from();
    }
  } else {
    reply.set_term(term_);
    reply.set_reject(true);
  }
  Send(std::move(reply));
}

void Raft::Poll(const Message& m) {
  // Only voters count; a stale duplicate from the same voter is ignored
  // because RecordVote keeps the first answer.
  tracker_.RecordVote(m.from(), !m.reject());
  switch (tracker_.TallyVotes()) {
    case VoteResult::kWon:
      if (role_ == Role::kPreCandidate) {
        StartCampaign(CampaignType::kElection, false);
      } else {
        BecomeLeader();
        BroadcastAppend();
      }
      break;
    case VoteResult::kLost:
      BecomeFollower(term_, 0);
      break;
    case VoteResult::kPending:
      break;
  }
}

}  // namespace kv::raft
