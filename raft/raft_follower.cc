// Raft core: the follower's side of AppendEntries and heartbeats (Raft paper
// section 5.3).
#include <algorithm>

#include "raft/raft.h"
#include "raft/raft_check.h"

namespace kv::raft {

void Raft::HandleAppend(const Message& m) {
  // Nothing below sends or changes the term before the reply is complete.
  Message& reply = NewMessage(MSG_APP_RESP, m.from());
  // The leader's heartbeat round, if it sent one: the answer confirms it.
  reply.set_heartbeat_seq(m.heartbeat_seq());
  if (m.index() < log_.committed()) {
    // Everything up to our commit index already matches the leader.
    reply.set_index(log_.committed());
    return;
  }
  std::optional<uint64_t> last_new_index =
      log_.MaybeAppend(m.index(), m.log_term(), m.commit(), m.entries());
  if (last_new_index) {
    reply.set_index(*last_new_index);
    return;
  }
  // Conflict hint: the largest index at or below the probe whose term is at
  // most the leader's term there, so the leader can skip whole terms.
  const uint64_t hint_index = std::min(m.index(), log_.LastIndex());
  const auto [index, term] = log_.FindConflictByTerm(hint_index, m.log_term());
  reply.set_index(m.index());
  reply.set_reject(true);
  reply.set_reject_hint(index);
  reply.set_log_term(term);
}

void Raft::HandleHeartbeat(const Message& m) {
  // A correct leader sends at most our match index; clamp anyway so a
  // malformed message cannot move the commit index past our log.
  log_.CommitTo(std::min(m.commit(), log_.LastIndex()));
  NewMessage(MSG_HEARTBEAT_RESP, m.from()).set_heartbeat_seq(m.heartbeat_seq());
}

}  // namespace kv::raft
