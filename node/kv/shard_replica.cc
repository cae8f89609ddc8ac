#include "node/kv/shard_replica.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/status_macros.h"
#include "node/kv/kv_bugs.h"
#include "node/kv/shard_snapshot_codec.h"
#include "raft/kept_buffer.h"

namespace kv::node {
namespace {

pb::Result Code(pb::Code code) {
  pb::Result r;
  r.set_code(code);
  return r;
}

// ApplyCommitted keeps its buffer of results up to this many commands.
constexpr size_t kKeptAppliedCapacity = 64;
// A served read batch's buffer is kept for the next reads queued up to this
// many reads.
constexpr size_t kKeptReadCapacity = 64;

// Bytes a queued request holds until it is answered (memory budget).
int64_t RequestBytes(const CommandFields& c) {
  return static_cast<int64_t>(128 + c.key.size() + c.value.size() + c.expected.size());
}

}  // namespace

ShardReplica::ShardReplica(env::Env& env, storage::LogStorage& log,
                           storage::StateMachineStorage& state, const ShardReplicaOptions& options,
                           Host& host)
    : env_(env),
      log_(log),
      state_storage_(state),
      options_(options),
      host_(host),
      view_(log,
            [&] {
              raft::ConfState conf;
              for (uint64_t v : options.voters) conf.add_voters(v);
              return conf;
            }(),
            *this),
      state_machine_(state, options.shard, options.limits),
      lifeline_(env.executor.liveness(), this) {}

// Inlined into its callers: once per message stepped, per tick and per
// Ready persisted, and most calls find nothing to do.
[[gnu::always_inline]] inline void ShardReplica::Process() {
  if (failed_ || raft_ == nullptr) return;
  NoteRole();
  // Checked here: most Process calls (one per message stepped) have no
  // read queued, and the call itself showed.
  if (!queued_reads_.empty()) IssueQueuedReads();
  if (ready_in_flight_) return ApplyEarly();
  if (raft_->HasReady()) TakeReady();
}

ShardReplica::~ShardReplica() = default;

absl::Status ShardReplica::Start() {
  // If the log's snapshot is ahead of the state machine (the state write was
  // lost in a crash after the log saved a received snapshot), reinstall it.
  // A local compaction stores no data: it waited for the state machine to
  // hold its index durably, so the state cannot be behind it.
  const storage::SnapshotMetadata snap = log_.snapshot_metadata();
  if (const uint64_t applied = state_storage_.AppliedIndex(options_.shard); snap.index > applied) {
    KV_ASSIGN_OR_RETURN(storage::LogSnapshot stored, log_.LoadSnapshot());
    if (stored.data.empty()) {
      return absl::DataLossError(absl::StrCat("shard ", options_.shard, ": the log is compacted through ",
                                              snap.index, " but the state machine holds entries only through ",
                                              applied));
    }
    KV_ASSIGN_OR_RETURN(storage::ShardImage image, DecodeShardSnapshot(stored.data));
    state_writes_in_flight_.push_back(image.applied_index);
    state_storage_.InstallSnapshot(options_.shard, std::move(image), StateWriteDone());
  }
  KV_RETURN_IF_ERROR(state_machine_.Load());
  raft::Config config = options_.raft;
  config.id = options_.raft_id;
  KV_ASSIGN_OR_RETURN(raft_, raft::Raft::Create(config, &view_, env_.random.Next64()));
  Process();
  return absl::OkStatus();
}

bool ShardReplica::is_leader() const {
  return raft_ != nullptr && raft_->role() == raft::Role::kLeader;
}

uint64_t ShardReplica::leader_raft_id() const { return raft_ == nullptr ? 0 : raft_->leader_id(); }

void ShardReplica::Tick() {
  if (failed_) return;
  raft_->Tick();
  // The snapshot made for a follower is held (with its memory) only while
  // some follower is being sent one: an idle leader would otherwise keep a
  // copy of the shard until the next compaction, which may never come.
  if (view_.holds_snapshot() && !SendingSnapshot()) view_.ReleaseSnapshot();
  // Buggify: a leader hands leadership to another voter out of the blue,
  // so leader changes happen under load even without faults.
  if (is_leader() && options_.voters.size() > 1 && KV_BUGGIFY_SITE(env_, transfer_leadership_, 500)) {
    const uint64_t target = options_.voters[env_.random.Uniform(options_.voters.size())];
    if (target != options_.raft_id) raft_->TransferLeadership(target).IgnoreError();
  }
  Process();
}

bool ShardReplica::SendingSnapshot() const {
  if (!is_leader()) return false;
  for (const auto& [id, progress] : raft_->tracker().progress()) {
    if (progress.state == raft::ProgressState::kSnapshot) return true;
  }
  return false;
}

bool ShardReplica::TransferLeadershipAway() {
  if (failed_ || !is_leader()) return false;
  uint64_t target = 0;
  uint64_t best_match = 0;
  // Voters in ascending id order: ties go to the lowest id.
  for (const auto& [id, progress] : raft_->tracker().progress()) {
    if (id == options_.raft_id || !raft_->tracker().IsVoter(id)) continue;
    if (target == 0 || progress.match > best_match) {
      target = id;
      best_match = progress.match;
    }
  }
  if (target == 0 || !raft_->TransferLeadership(target).ok()) return false;
  Process();
  return true;
}

void ShardReplica::Step(const raft::Message& message) {
  if (failed_) return;
  // A bad message is dropped: the sender's retransmission logic copes.
  raft_->Step(message).IgnoreError();
  Process();
}

void ShardReplica::Write(const CommandFields& command, const ReplyTo& to,
                         absl::FunctionRef<std::string()> serialize) {
  if (failed_) return host_.AnswerClient(to, Code(pb::CODE_UNAVAILABLE), 0);
  if (!is_leader()) return host_.AnswerClient(to, Code(pb::CODE_NOT_LEADER), leader_raft_id());
  if (pending_writes_.size() + pending_read_count_ + queued_reads_.size() >= options_.max_pending_requests) {
    return host_.AnswerClient(to, Code(pb::CODE_RETRY_LATER), 0);
  }
  // Built in place in the map (and erased again if refused below): one
  // lookup finds the client's write in flight or makes room for this one,
  // where a lookup, a second one to insert and a move into the node showed.
  auto [it, inserted] = pending_writes_.try_emplace(command.client_id);
  if (!inserted) return host_.AnswerClient(to, Code(pb::CODE_RETRY_LATER), 0);
  PendingWrite& pending = it->second;
  pending.to = to;
  pending.sequence = command.sequence;
  if (!env_.memory.ReserveScoped(RequestBytes(command), "queued write", pending.memory).ok()) {
    pending_writes_.erase(it);
    return host_.AnswerClient(to, Code(pb::CODE_RETRY_LATER), 0);
  }
  if (absl::Status s = raft_->Propose(serialize()); !s.ok()) {
    const pb::Code code = s.code() == absl::StatusCode::kResourceExhausted ? pb::CODE_RETRY_LATER
                                                                           : pb::CODE_NOT_LEADER;
    // Answered first, then its memory released, in the order a write
    // built apart and refused had them.
    host_.AnswerClient(to, Code(code), leader_raft_id());
    pending_writes_.erase(it);
    return;
  }
  ScheduleProcess();
}

void ShardReplica::Read(absl::string_view key, const ReplyTo& to) {
  if (failed_) return host_.AnswerClient(to, Code(pb::CODE_UNAVAILABLE), 0);
  if (!is_leader()) return host_.AnswerClient(to, Code(pb::CODE_NOT_LEADER), leader_raft_id());
  if (pending_writes_.size() + pending_read_count_ + queued_reads_.size() >= options_.max_pending_requests) {
    return host_.AnswerClient(to, Code(pb::CODE_RETRY_LATER), 0);
  }
  if ((options_.bugs & kReadWithoutReadIndex) != 0) {
    absl::StatusOr<pb::Result> result = state_machine_.Read(key);
    return host_.AnswerClient(to, result.ok() ? *result : Code(pb::CODE_UNAVAILABLE), options_.raft_id);
  }
  // Built in place in the queue (and taken back if the budget refuses it):
  // a read built apart and moved in cost a key copy and a reservation's
  // move and release per read.
  PendingRead& pending = queued_reads_.emplace_back();
  if (!env_.memory.ReserveScoped(static_cast<int64_t>(128 + key.size()), "queued read", pending.memory).ok()) {
    queued_reads_.pop_back();
    return host_.AnswerClient(to, Code(pb::CODE_RETRY_LATER), 0);
  }
  pending.key.assign(key.data(), key.size());
  pending.to = to;
  ScheduleProcess();
}

void ShardReplica::ScheduleProcess() {
  if (process_scheduled_) return;
  process_scheduled_ = true;
  env_.executor.Post([live = lifeline_.live()] {
    ShardReplica* self = live.get();
    if (self == nullptr) return;
    self->process_scheduled_ = false;
    self->Process();
  });
}

void ShardReplica::IssueQueuedReads() {
  if (queued_reads_.empty()) return;
  std::vector<PendingRead> reads = std::move(queued_reads_);
  queued_reads_.clear();
  // Leadership may have moved since the reads were queued.
  if (!is_leader()) {
    for (PendingRead& r : reads) host_.AnswerClient(r.to, Code(pb::CODE_NOT_LEADER), leader_raft_id());
    return;
  }
  const uint64_t id = next_read_id_++;
  if (absl::Status s = raft_->ReadIndex(id); !s.ok()) {
    const pb::Code code = s.code() == absl::StatusCode::kResourceExhausted ? pb::CODE_RETRY_LATER
                                                                           : pb::CODE_NOT_LEADER;
    for (PendingRead& r : reads) host_.AnswerClient(r.to, Code(code), leader_raft_id());
    return;
  }
  pending_read_count_ += reads.size();
  // Ids ascend, so the batch goes last and the vector stays sorted.
  if (!pending_reads_.empty()) KV_CHECK_LT(pending_reads_.back().id, id);
  pending_reads_.push_back(ReadBatch{id, 0, std::move(reads)});
}

void ShardReplica::NoteRole() {
  const bool leader = is_leader();
  // A deposed leader cannot know whether its pending proposals will commit;
  // the clients retry elsewhere, and sessions make the retries safe.
  if ((was_leader_ && !leader) || raft_->term() != last_term_) {
    if (was_leader_) FailPending(pb::CODE_NOT_LEADER);
    // A leader's snapshot kept for sending is of no use to a follower.
    if (was_leader_ && !leader) view_.ReleaseSnapshot();
  }
  was_leader_ = leader;
  last_term_ = raft_->term();
}

void ShardReplica::FailPending(pb::Code code) {
  auto writes = std::move(pending_writes_);
  auto reads = std::move(pending_reads_);
  auto queued = std::move(queued_reads_);
  pending_writes_.clear();
  pending_reads_.clear();
  queued_reads_.clear();
  pending_read_count_ = 0;
  for (auto& [id, w] : writes) host_.AnswerClient(w.to, Code(code), leader_raft_id());
  for (ReadBatch& batch : reads) {
    for (PendingRead& r : batch.reads) host_.AnswerClient(r.to, Code(code), leader_raft_id());
  }
  for (PendingRead& r : queued) host_.AnswerClient(r.to, Code(code), leader_raft_id());
}

env::OnDone ShardReplica::StateWriteDone() {
  return [live = lifeline_.live()](absl::Status s) {
    if (ShardReplica* self = live.get()) self->OnStateWriteDone(s);
  };
}

void ShardReplica::OnStateWriteDone(const absl::Status& status) {
  KV_CHECK(!state_writes_in_flight_.empty());
  const uint64_t index = state_writes_in_flight_.front();
  state_writes_in_flight_.pop_front();
  if (!status.ok()) return Fail(status);
  durable_applied_ = std::max(durable_applied_, index);
}

env::OnDone ShardReplica::FailOnError() const {
  return [live = lifeline_.live()](absl::Status s) {
    if (s.ok()) return;
    if (ShardReplica* self = live.get()) self->Fail(s);
  };
}

void ShardReplica::Fail(const absl::Status& status) {
  if (failed_) return;
  failed_ = true;
  FailPending(pb::CODE_UNAVAILABLE);
}

// Inlined into its callers, TakeReady and OnReadyWriteDone (one call per
// Ready and per write): the compiler would not for the checks' failure
// paths.
[[gnu::always_inline]] inline void ShardReplica::ReleaseReadyWrite() {
  KV_CHECK(ready_in_flight_);
  KV_CHECK_GT(in_flight_writes_, 0);
  if (--in_flight_writes_ == 0) OnPersisted();
}

void ShardReplica::TakeReady() {
  raft::Ready& ready = in_flight_;
  raft_->GetReadyInto(ready);
  ready_in_flight_ = true;
  for (const raft::Message& m : ready.messages) host_.SendRaftMessage(options_.shard, m);
  raft_->RecycleMessages(std::move(ready.messages));
  // A snapshot is installed (below) before the entries that follow it are
  // applied, so committed entries wait for it; otherwise they are applied
  // now (see the header: they are durable already).
  const bool apply_now = !ready.snapshot.has_value();
  if (apply_now) {
    if (!ready.committed_entries.empty()) ApplyCommitted(ready.committed_entries);
    HandleReadStates(ready.read_states);
    if (failed_) return;
    ServeReads();
  }

  // Issue the durable writes; the last completion moves the Ready on.
  in_flight_applied_ = apply_now;
  in_flight_writes_ = 1;  // One for the issuing itself, released below.
  // Made only for a write: most Readies write nothing (commit_only below).
  auto done = [this] {
    return [live = lifeline_.live()](absl::Status s) {
      if (ShardReplica* self = live.get()) self->OnReadyWriteDone(std::move(s));
    };
  };
  if (ready.snapshot.has_value()) {
    in_flight_writes_ += 2;  // The log's copy and the state machine's install.
    InstallSnapshot(*ready.snapshot, done());
  }
  // Only the commit index changed: nothing to make durable now.
  const bool commit_only = ready.hard_state.has_value() && !ready.must_sync &&
                           ready.entries.empty() && !ready.snapshot.has_value();
  if (commit_only) {
    unwritten_hard_state_ = RaftLogView::ToStorage(*ready.hard_state);
  } else if (ready.hard_state.has_value() || !ready.entries.empty()) {
    storage::LogWrite& write = log_write_;
    if (ready.hard_state.has_value()) {
      write.hard_state = RaftLogView::ToStorage(*ready.hard_state);
    } else if (unwritten_hard_state_.has_value()) {
      write.hard_state = *unwritten_hard_state_;
    } else {
      write.hard_state.reset();
    }
    unwritten_hard_state_.reset();
    write.entries.resize(ready.entries.size());
    // Whether a payload holds a huge buffer, to release once written, with
    // the entries' (kept_buffer.h): a payload is its entry's data and a few
    // bytes more, so a huge entry makes a huge payload (an entry written
    // over a kept buffer may have doubled it, to at most twice the bound).
    // Noted here, where the payload is at hand, rather than by a second
    // walk over them.
    bool huge = false;
    for (size_t i = 0; i < ready.entries.size(); ++i) {
      RaftLogView::ToStorage(ready.entries[i], write.entries[i]);
      huge |= raft::ExceedsKeptBound(write.entries[i].payload.capacity());
    }
    if ((options_.bugs & kAckBeforeSync) != 0) {
      log_.Write(write, [](absl::Status) {});  // Not waited for.
    } else {
      ++in_flight_writes_;
      log_.Write(write, done());
    }
    // Storage has read the write; the Ready's entries were only to be
    // written, and the Ready is refilled next time.
    if (huge) [[unlikely]] ReleaseHugeEntries(ready.entries, write);
  }
  ReleaseReadyWrite();  // Releases the issuing count.
}

void ShardReplica::ReleaseHugeEntries(std::vector<raft::Entry>& entries, storage::LogWrite& write) {
  for (raft::Entry& entry : entries) raft::ReleaseIfHuge(entry);
  for (storage::LogEntry& entry : write.entries) raft::ReleaseIfHuge(entry.payload);
}

size_t ShardReplica::LargestKeptBufferBytes() const {
  size_t largest = read_result_.value().capacity();
  for (const storage::LogEntry& entry : log_write_.entries) largest = std::max(largest, entry.payload.capacity());
  for (const raft::Entry& entry : in_flight_.committed_entries) largest = std::max(largest, entry.data().capacity());
  for (const KvStateMachine::Applied& a : applied_buffer_) largest = std::max(largest, a.result.value().capacity());
  return largest;
}

void ShardReplica::OnReadyWriteDone(absl::Status status) {
  if (!status.ok()) return Fail(status);
  ReleaseReadyWrite();
}

void ShardReplica::InstallSnapshot(const raft::Snapshot& snapshot,
                                   const std::function<void(absl::Status)>& done) {
  absl::StatusOr<storage::ShardImage> image = DecodeShardSnapshot(snapshot.data());
  // A snapshot that does not decode is never installed; the replica stops.
  if (!image.ok()) return Fail(image.status());
  log_.SaveSnapshot(RaftLogView::ToStorage(snapshot), done);
  state_writes_in_flight_.push_back(image->applied_index);
  state_storage_.InstallSnapshot(options_.shard, std::move(*image),
                                 [live = lifeline_.live(), done](absl::Status s) {
                                   if (ShardReplica* self = live.get()) self->OnStateWriteDone(s);
                                   done(s);
                                 });
  if (absl::Status s = state_machine_.Load(); !s.ok()) Fail(s);
}

void ShardReplica::ApplyEarly() {
  // The leader's appends for new proposals and its ReadIndex heartbeats
  // leave now, so followers sync in parallel with the leader's own sync.
  // Its commit index moves when followers acknowledge, usually while its
  // own next append is being synced; applying now saves the clients a
  // whole sync.
  std::vector<raft::Message> early = raft_->TakeMessagesEarly();
  for (const raft::Message& m : early) host_.SendRaftMessage(options_.shard, m);
  raft_->RecycleMessages(std::move(early));
  std::vector<raft::Entry> entries = raft_->TakeCommittedEntriesEarly();
  if (!entries.empty()) {
    ApplyCommitted(entries);
    if (failed_) return;
    raft_->AckApplied(entries.back().index());
  }
  HandleReadStates(raft_->TakeReadStates());
  ServeReads();
}

void ShardReplica::HandleReadStates(const std::vector<raft::ReadState>& read_states) {
  for (const raft::ReadState& rs : read_states) {
    auto it = std::lower_bound(pending_reads_.begin(), pending_reads_.end(), rs.request_id,
                               [](const ReadBatch& batch, uint64_t id) { return batch.id < id; });
    if (it != pending_reads_.end() && it->id == rs.request_id) it->index = rs.index;
  }
}

void ShardReplica::OnPersisted() {
  // Nothing below refills in_flight_ before ready_in_flight_ is cleared
  // (only TakeReady does, and only when no Ready is in flight).
  raft::Ready& ready = in_flight_;
  for (const raft::Message& m : ready.messages_after_persist) host_.SendRaftMessage(options_.shard, m);
  raft_->RecycleMessages(std::move(ready.messages_after_persist));
  if (!in_flight_applied_) {
    if (!ready.committed_entries.empty()) ApplyCommitted(ready.committed_entries);
    HandleReadStates(ready.read_states);
  }
  raft_->AckPersisted();
  if (!ready.committed_entries.empty()) {
    raft_->AckApplied(ready.committed_entries.back().index());
    // Applied and acknowledged: the entries are kept only for the next
    // Ready to be written over, so a huge one gives its buffer back
    // (kept_buffer.h).
    for (raft::Entry& entry : ready.committed_entries) raft::ReleaseIfHuge(entry);
  }
  ready_in_flight_ = false;
  if (failed_) return;
  ServeReads();
  MaybeCompact();
  Process();
}

void ShardReplica::ApplyCommitted(const std::vector<raft::Entry>& entries) {
  // Entries at or below the applied index came with an installed snapshot.
  // Indexes ascend, so the fresh ones are a suffix.
  size_t first_fresh = 0;
  while (first_fresh < entries.size() && entries[first_fresh].index() <= state_machine_.applied_index()) {
    ++first_fresh;
  }
  const absl::Span<const raft::Entry> fresh = absl::MakeConstSpan(entries).subspan(first_fresh);
  if (fresh.empty()) return;
  // Used in place, its elements kept for ApplyBatch to reuse: AnswerClient
  // only encodes and sends (ServePendingReads relies on it too), so nothing
  // reenters while the batch's results are read. Moving the buffer out and
  // back for each batch showed.
  std::vector<KvStateMachine::Applied>& applied = applied_buffer_;
  absl::StatusOr<size_t> applied_count = state_machine_.ApplyBatch(fresh, applied, StateWriteDone());
  if (applied_count.ok()) {
    // The batch went to storage (an error above means it did not).
    state_writes_in_flight_.push_back(state_machine_.applied_index());
    for (size_t i = 0; i < *applied_count; ++i) {
      KvStateMachine::Applied& a = applied[i];
      auto it = pending_writes_.find(a.client_id);
      if (it != pending_writes_.end() && it->second.sequence == a.sequence) {
        const ReplyTo to = it->second.to;
        pending_writes_.erase(it);
        host_.AnswerClient(to, a.result, options_.raft_id);
      }
      // Kept for the next batch to write over, unless it carries a huge
      // value (a compare-and-set's mismatch answers with the current value;
      // kept_buffer.h).
      raft::ReleaseFieldIfHuge(a.result.value(), [&] { return a.result.mutable_value(); });
    }
  }
  // Kept for the next batch unless a rare huge one grew it.
  if (applied.capacity() > kKeptAppliedCapacity) applied = std::vector<KvStateMachine::Applied>();
  if (!applied_count.ok()) Fail(applied_count.status());
}

void ShardReplica::ServePendingReads() {
  for (size_t i = 0; i < pending_reads_.size();) {
    ReadBatch& batch = pending_reads_[i];
    if (batch.index == 0 || batch.index > state_machine_.applied_index()) {
      ++i;
      continue;
    }
    std::vector<PendingRead> reads = std::move(batch.reads);
    pending_read_count_ -= reads.size();
    pending_reads_.erase(pending_reads_.begin() + static_cast<ptrdiff_t>(i));
    for (PendingRead& r : reads) {
      // AnswerClient only encodes and sends the result, so the member is
      // free again when it returns.
      if (state_machine_.ReadInto(r.key, read_result_).ok()) {
        host_.AnswerClient(r.to, read_result_, options_.raft_id);
      } else {
        host_.AnswerClient(r.to, Code(pb::CODE_UNAVAILABLE), options_.raft_id);
      }
    }
    // Kept for the next batch, unless a huge value grew it (kept_buffer.h).
    raft::ReleaseFieldIfHuge(read_result_.value(), [&] { return read_result_.mutable_value(); });
    // IssueQueuedReads hands queued_reads_' buffer to its batch; this
    // batch's buffer takes its place, so that queuing the next reads does
    // not allocate.
    reads.clear();
    if (queued_reads_.capacity() == 0 && reads.capacity() <= kKeptReadCapacity) {
      queued_reads_ = std::move(reads);
    }
  }
}

void ShardReplica::MaybeCompact() {
  if (compacting_) return;
  const uint64_t applied = state_machine_.applied_index();
  const uint64_t first_index = log_.FirstIndex();
  if (applied <= first_index) return;
  // Buggify: compact far earlier than configured, so snapshots are taken,
  // sent and installed often.
  if (applied < first_index + options_.compact_threshold_entries &&
      !KV_BUGGIFY_SITE(env_, compact_early_, 20)) {
    return;
  }
  StartCompaction(applied);
}

void ShardReplica::StartCompaction(uint64_t applied) {
  // After a restart the stored state can be ahead of what the core has
  // handed out again (the core re-delivers from its own applied index, and
  // entries the state already holds are skipped). Compacting past the
  // core's applied index would remove entries it has still to hand out.
  // And the log keeps no copy of the state, so it may drop only entries the
  // state machine holds durably: a restarted node rebuilds from its stored
  // state and the entries after the compaction point.
  uint64_t index = std::min({applied, raft_->log().applied(), durable_applied_});
  if (is_leader()) index = std::min(index, KeepForStreamingFollowers(index));
  if (index <= log_.FirstIndex()) return;
  absl::StatusOr<uint64_t> term = log_.Term(index);
  if (!term.ok()) return;  // Try again after the next batch.
  // The compaction point, with no data: snapshots for followers are made
  // when they are needed (MakeSnapshot), as etcd v3 does.
  storage::LogSnapshot point;
  point.metadata.index = index;
  point.metadata.term = *term;
  raft::ConfState conf;
  for (uint64_t v : options_.voters) conf.add_voters(v);
  point.metadata.config = conf.SerializeAsString();
  compacting_ = true;
  log_.SaveSnapshot(std::move(point), FailOnError());
  log_.Compact(index, [live = lifeline_.live()](absl::Status s) {
    ShardReplica* self = live.get();
    if (self == nullptr) return;
    self->compacting_ = false;
    if (!s.ok()) self->Fail(s);
  });
}

uint64_t ShardReplica::KeepForStreamingFollowers(uint64_t index) const {
  // A follower that is a few entries behind (the slower of two followers
  // is, under load, and one a new leader is still probing has not said
  // where it is) would otherwise find them compacted away and need the
  // whole state sent. So a leader keeps the entries a live follower still
  // needs, as TiKV does (etcd keeps a fixed 5,000), but never more than one
  // threshold's worth: a follower further behind than that, or silent,
  // gets a snapshot.
  const uint64_t floor = index > options_.compact_threshold_entries ? index - options_.compact_threshold_entries : 0;
  for (const auto& [id, progress] : raft_->tracker().progress()) {
    if (id == options_.raft_id || progress.state == raft::ProgressState::kSnapshot) continue;
    if (progress.state != raft::ProgressState::kReplicate && !progress.recent_active) continue;
    if (progress.match < index) index = std::max(progress.match, floor);
  }
  return index;
}

absl::Status ShardReplica::MakeSnapshot(raft::Snapshot& snapshot, env::Reservation& memory) {
  absl::Status made = MakeSnapshotNow(snapshot, memory);
  // Counted for the node's metrics: a leader that keeps failing to make one
  // leaves a follower behind for good, and says nothing else about it.
  if (made.ok()) {
    ++snapshots_made_;
  } else {
    ++snapshots_refused_;
    last_snapshot_refusal_ = made;
  }
  return made;
}

absl::Status ShardReplica::MakeSnapshotNow(raft::Snapshot& snapshot, env::Reservation& memory) {
  // The state as storage holds it now; its data and applied index agree.
  const uint64_t index = state_storage_.AppliedIndex(options_.shard);
  if (raft_ == nullptr || failed_) return absl::UnavailableError("the replica is not running");
  // After a restart the state can be ahead of what the core knows to be
  // applied (see StartCompaction); wait until the core has caught up.
  if (raft_->log().applied() < index) {
    return absl::UnavailableError("the state machine is ahead of the Raft core");
  }
  KV_ASSIGN_OR_RETURN(const uint64_t term, log_.Term(index));
  // The core asks again at every heartbeat response. A snapshot the budget
  // could not hold is not read and encoded again (the whole shard, each
  // time) while the budget still has no room for that size; every 16th
  // attempt measures it anew all the same, in case the shard shrank.
  if (refused_snapshot_bytes_ > 0 && ++attempts_since_refused_snapshot_ % 16 != 0 &&
      env_.memory.limit_bytes() - env_.memory.used_bytes() < refused_snapshot_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "memory budget: a snapshot of about ", refused_snapshot_bytes_, " bytes does not fit, ",
        env_.memory.used_bytes(), " of ", env_.memory.limit_bytes(), " in use; retry later"));
  }
  KV_ASSIGN_OR_RETURN(std::string data, EncodeShardSnapshot(state_storage_, options_.shard));
  // Held while the leader streams it out; under memory pressure no snapshot
  // is sent (the follower waits, as a compaction used to).
  if (absl::Status reserved = env_.memory.ReserveScoped(static_cast<int64_t>(data.size()), "snapshot", memory);
      !reserved.ok()) {
    refused_snapshot_bytes_ = static_cast<int64_t>(data.size());
    return reserved;
  }
  refused_snapshot_bytes_ = 0;
  raft::SnapshotMetadata& metadata = *snapshot.mutable_metadata();
  metadata.set_index(index);
  metadata.set_term(term);
  for (uint64_t v : options_.voters) metadata.mutable_conf_state()->add_voters(v);
  snapshot.set_data(std::move(data));
  return absl::OkStatus();
}

}  // namespace kv::node
