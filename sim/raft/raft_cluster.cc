#include "sim/raft/raft_cluster.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "node/env/check.h"

namespace kv::sim {
namespace {

constexpr uint64_t kMemberStream = 0x5241465400000000ULL;   // "RAFT"
constexpr uint64_t kNetworkStream = 0x524e455400000000ULL;  // "RNET"
// Digest tags of the harness's own events.
constexpr uint64_t kWriteTag = 0x77726974;
constexpr uint64_t kClientTag = 0x636c6e74;

}  // namespace

RaftCluster::RaftCluster(Scheduler& scheduler, const env::Random& root,
                         const RaftClusterOptions& options,
                         properties::RaftChecker& checker)
    : scheduler_(scheduler), options_(options), checker_(checker) {
  KV_CHECK_GE(options.members, 1);
  std::vector<NodeContext*> contexts;
  members_.resize(options.members);
  raft::ConfState conf_state;
  for (int i = 0; i < options.members; ++i) conf_state.add_voters(i + 1);
  for (int i = 0; i < options.members; ++i) {
    Member& m = members_[i];
    m.context = std::make_unique<NodeContext>(scheduler_, i);
    const env::TimeNs offset =
        i < static_cast<int>(options.clock_offset_ns.size()) ? options.clock_offset_ns[i] : 0;
    const int64_t drift =
        i < static_cast<int>(options.clock_drift_ppb.size()) ? options.clock_drift_ppb[i] : 0;
    m.clock = std::make_unique<SimClock>(scheduler_, *m.context, offset, drift);
    m.random = std::make_unique<env::Random>(root.Derive(kMemberStream | i));
    m.disk = std::make_unique<raft::MemoryLogStorage>(conf_state);
    contexts.push_back(m.context.get());
  }
  network_ = std::make_unique<SimNetwork>(scheduler_, contexts,
                                          root.Derive(kNetworkStream), options.link);
  for (int i = 0; i < options.members; ++i) {
    network_->endpoint(i).SetReceiver(
        [this, i](env::NodeId, absl::string_view bytes) { OnMessage(i, bytes); });
  }
}

RaftCluster::~RaftCluster() = default;

raft::Config RaftCluster::MemberConfig(uint64_t raft_id) const {
  raft::Config config;
  config.id = raft_id;
  config.election_timeout_ticks = 10;
  config.heartbeat_timeout_ticks = 1;
  config.max_size_per_msg_bytes = options_.max_size_per_msg_bytes;
  config.max_inflight_msgs = 16;
  config.snapshot_chunk_size_bytes = options_.snapshot_chunk_size_bytes;
  if (options_.read_index_all_members) config.read_index_fanout = raft::ReadIndexFanout::kAllMembers;
  if (options_.lease_reads) {
    config.read_only_option = raft::ReadOnlyOption::kLeaseBased;
    config.max_clock_drift_ticks = 1;
  }
  config.bugs = options_.bugs;
  return config;
}

void RaftCluster::Start() {
  for (int i = 0; i < member_count(); ++i) StartMember(i);
}

void RaftCluster::StartMember(env::NodeId node) {
  Member& m = members_[node];
  ++m.incarnation;
  if (m.incarnation > 1) checker_.OnRestart(node + 1, m.disk->LastIndex());
  env::Random stream = m.random->Derive(m.incarnation);
  absl::StatusOr<std::unique_ptr<raft::Raft>> created =
      raft::Raft::Create(MemberConfig(node + 1), m.disk.get(), stream.Next64());
  KV_CHECK(created.ok());
  m.raft = std::move(*created);
  // The state machine restarts from the durable snapshot and replays the log.
  const raft::Snapshot& snapshot = m.disk->snapshot();
  m.state_hash = DecodeSnapshot(snapshot.data());
  m.applied_index = snapshot.metadata().index();
  m.conf_state = snapshot.metadata().conf_state();
  m.write_in_flight = false;
  m.tick_origin_ns = m.clock->NowNs();
  m.ticks_done = 0;
  ScheduleTick(node);
}

void RaftCluster::ScheduleTick(env::NodeId node) {
  Member& m = members_[node];
  m.clock->After(options_.tick_ns, [this, node] {
    Member& member = members_[node];
    if (!member.raft) return;
    CatchUpTicks(member);
    Process(node);
    ScheduleTick(node);
  });
}

void RaftCluster::CatchUpTicks(Member& m) {
  // Ticks follow the local clock, so a pause or a late timer never stretches
  // a lease or an election timeout in local time.
  const uint64_t due =
      static_cast<uint64_t>((m.clock->NowNs() - m.tick_origin_ns) / options_.tick_ns);
  while (m.ticks_done < due) {
    m.raft->Tick();
    ++m.ticks_done;
  }
}

void RaftCluster::OnMessage(env::NodeId node, absl::string_view bytes) {
  Member& m = members_[node];
  if (!m.raft) return;
  raft::Message message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    ++stats_.decode_errors;
    return;
  }
  CatchUpTicks(m);
  absl::Status stepped = m.raft->Step(message);
  if (!stepped.ok()) ++stats_.decode_errors;
  Process(node);
}

void RaftCluster::SendMessage(env::NodeId node, const raft::Message& message) {
  checker_.OnMessageSent(node + 1, message);
  const env::NodeId to = static_cast<env::NodeId>(message.to() - 1);
  if (append_hold_ && append_hold_->node == node && message.type() == raft::MSG_APP &&
      IsHeld(*append_hold_, to, message)) {
    ++stats_.appends_held;
    return;  // Lost, as the network would lose it.
  }
  // Best effort, like the network itself: a refused send is a lost message.
  network_->endpoint(node).Send(to, message.SerializeAsString()).IgnoreError();
}

void RaftCluster::Process(env::NodeId node) {
  Member& m = members_[node];
  if (!m.raft || m.write_in_flight || !m.raft->HasReady()) return;
  raft::Ready ready = m.raft->GetReady();
  for (const raft::Message& message : ready.messages) SendMessage(node, message);
  ready.messages.clear();
  m.write_in_flight = true;
  const bool needs_write =
      ready.hard_state.has_value() || ready.snapshot.has_value() || !ready.entries.empty();
  const env::DurationNs delay =
      needs_write ? m.random->UniformRange(options_.disk_latency_min_ns,
                                           options_.disk_latency_max_ns)
                  : 0;
  ++stats_.writes;
  const uint64_t incarnation = m.incarnation;
  m.context->After(delay, kWriteTag, [this, node, incarnation, ready = std::move(ready)]() mutable {
    if (members_[node].incarnation != incarnation) return;
    CompleteWrite(node, std::move(ready));
  });
}

void RaftCluster::CompleteWrite(env::NodeId node, raft::Ready ready) {
  Member& m = members_[node];
  KV_CHECK(m.raft != nullptr);
  const uint64_t raft_id = node + 1;
  if (ready.snapshot) {
    absl::Status applied = m.disk->ApplySnapshot(*ready.snapshot);
    KV_CHECK(applied.ok());
    m.state_hash = DecodeSnapshot(ready.snapshot->data());
    m.applied_index = ready.snapshot->metadata().index();
    m.conf_state = ready.snapshot->metadata().conf_state();
    checker_.OnSnapshotInstalled(raft_id, m.applied_index, m.state_hash);
    ++stats_.snapshots_installed;
  }
  if (!ready.entries.empty()) {
    absl::StatusOr<uint64_t> prev_term = m.disk->Term(ready.entries.front().index() - 1);
    KV_CHECK(prev_term.ok());
    checker_.OnEntriesPersisted(raft_id, *prev_term, ready.entries, m.disk->LastIndex());
    m.disk->Append(std::move(ready.entries));
  }
  if (ready.hard_state) {
    m.disk->SetHardState(*ready.hard_state);
    checker_.OnHardStatePersisted(raft_id, *ready.hard_state);
  }
  for (const raft::Message& message : ready.messages_after_persist) {
    SendMessage(node, message);
  }
  for (const raft::Entry& entry : ready.committed_entries) Apply(m, entry);
  for (const raft::ReadState& read : ready.read_states) {
    checker_.OnReadServed(raft_id, read.request_id, read.index);
    ++stats_.reads_served;
  }
  m.raft->Advance(ready);
  m.write_in_flight = false;
  MaybeCompact(m);
  Process(node);
}

void RaftCluster::Apply(Member& m, const raft::Entry& entry) {
  if (entry.type() == raft::ENTRY_CONF_CHANGE) {
    raft::ConfChange change;
    if (change.ParseFromString(entry.data())) {
      m.conf_state = m.raft->ApplyConfChange(change);
    }
  }
  if (probe_applied_index_ == 0 && entry.data() == kLivenessProbe) {
    probe_applied_index_ = entry.index();
  }
  m.state_hash = properties::NextStateHash(m.state_hash, entry);
  m.applied_index = entry.index();
  checker_.OnApplied(m.raft->id(), entry, m.state_hash, m.raft->term());
}

void RaftCluster::MaybeCompact(Member& m) {
  if (m.applied_index < m.disk->FirstIndex() + options_.compact_threshold_entries) return;
  absl::Status created =
      m.disk->CreateSnapshot(m.applied_index, m.conf_state, EncodeSnapshot(m.state_hash));
  KV_CHECK(created.ok());
  absl::Status compacted = m.disk->Compact(m.applied_index);
  KV_CHECK(compacted.ok());
  ++stats_.compactions;
}

std::string RaftCluster::EncodeSnapshot(uint64_t state_hash) const {
  std::string data(8 + options_.snapshot_filler_bytes, '.');
  for (int i = 0; i < 8; ++i) data[i] = static_cast<char>((state_hash >> (8 * i)) & 0xff);
  return data;
}

uint64_t RaftCluster::DecodeSnapshot(const std::string& data) {
  if (data.size() < 8) return 0;
  uint64_t state_hash = 0;
  for (int i = 0; i < 8; ++i) {
    state_hash |= static_cast<uint64_t>(static_cast<unsigned char>(data[i])) << (8 * i);
  }
  return state_hash;
}

void RaftCluster::ProposeAt(env::NodeId node, std::string command) {
  members_[node].context->After(0, kClientTag, [this, node, command = std::move(command)] {
    Member& m = members_[node];
    if (!m.raft) return;
    CatchUpTicks(m);
    if (m.raft->Propose(command).ok()) {
      ++stats_.proposals_accepted;
    } else {
      ++stats_.proposals_refused;
    }
    Process(node);
  });
}

void RaftCluster::ReadAt(env::NodeId node) {
  members_[node].context->After(0, kClientTag, [this, node] {
    Member& m = members_[node];
    if (!m.raft) return;
    CatchUpTicks(m);
    if (m.raft->role() != raft::Role::kLeader) return;
    const uint64_t read_id = next_read_id_++;
    checker_.OnReadRequested(read_id);
    if (m.raft->ReadIndex(read_id).ok()) ++stats_.reads_requested;
    Process(node);
  });
}

void RaftCluster::TransferAt(env::NodeId node, uint64_t target_raft_id) {
  members_[node].context->After(0, kClientTag, [this, node, target_raft_id] {
    Member& m = members_[node];
    if (!m.raft) return;
    CatchUpTicks(m);
    if (m.raft->TransferLeadership(target_raft_id).ok()) ++stats_.transfers_requested;
    Process(node);
  });
}

void RaftCluster::MembershipStepAt(env::NodeId node, uint64_t random_value) {
  members_[node].context->After(0, kClientTag, [this, node, random_value] {
    Member& m = members_[node];
    if (!m.raft || m.raft->role() != raft::Role::kLeader) return;
    CatchUpTicks(m);
    const raft::ProgressTracker& tracker = m.raft->tracker();
    raft::ConfChange change;
    for (int i = 0; i < member_count() && change.node_id() == 0; ++i) {
      const uint64_t id = i + 1;
      if (!tracker.IsMember(id)) {
        change.set_type(raft::CONF_CHANGE_ADD_LEARNER);
        change.set_node_id(id);
      } else if (tracker.IsLearner(id)) {
        change.set_type(raft::CONF_CHANGE_ADD_VOTER);
        change.set_node_id(id);
      }
    }
    if (change.node_id() == 0) {
      // Everyone is a voter: remove one that is not the leader.
      uint64_t id = 1 + random_value % member_count();
      if (id == m.raft->id()) id = id % member_count() + 1;
      change.set_type(raft::CONF_CHANGE_REMOVE_NODE);
      change.set_node_id(id);
    }
    if (m.raft->ProposeConfChange(change).ok()) ++stats_.conf_changes_proposed;
    Process(node);
  });
}

void RaftCluster::ObserveAll() {
  for (int i = 0; i < member_count(); ++i) {
    const Member& m = members_[i];
    if (!m.raft) continue;
    m.raft->CheckInvariants();
    checker_.ObserveMember(i + 1, m.incarnation, *m.raft);
  }
}

std::optional<env::NodeId> RaftCluster::BusiestLeader() const {
  const int leader = LeaderNode();
  if (leader < 0) return std::nullopt;
  return static_cast<env::NodeId>(leader);
}

int RaftCluster::LeaderNode() const {
  int leader = -1;
  uint64_t term = 0;
  for (int i = 0; i < member_count(); ++i) {
    const Member& m = members_[i];
    if (m.raft && m.raft->role() == raft::Role::kLeader && m.raft->term() >= term) {
      leader = i;
      term = m.raft->term();
    }
  }
  return leader;
}

std::vector<env::NodeId> RaftCluster::LeaderNodes() const {
  std::vector<env::NodeId> leaders;
  for (int i = 0; i < member_count(); ++i) {
    const Member& m = members_[i];
    if (m.raft && m.raft->role() == raft::Role::kLeader) leaders.push_back(i);
  }
  return leaders;
}

bool RaftCluster::AllApplied(uint64_t index) const {
  const int leader = LeaderNode();
  if (leader < 0) return false;
  const raft::ProgressTracker& tracker = members_[leader].raft->tracker();
  for (int i = 0; i < member_count(); ++i) {
    const Member& m = members_[i];
    if (!tracker.IsMember(i + 1)) continue;
    if (!m.raft || m.applied_index < index) return false;
  }
  return true;
}

uint64_t RaftCluster::Term(env::NodeId node) const {
  const Member& m = members_[node];
  return m.raft ? m.raft->term() : 0;
}

uint64_t RaftCluster::LastIndex(env::NodeId node) const {
  const Member& m = members_[node];
  return m.raft ? m.raft->log().LastIndex() : 0;
}

uint64_t RaftCluster::TermAt(env::NodeId node, uint64_t index) const {
  const Member& m = members_[node];
  if (!m.raft || index == 0 || index > m.raft->log().LastIndex()) return 0;
  const absl::StatusOr<uint64_t> term = m.raft->log().Term(index);
  return term.ok() ? *term : 0;
}

uint64_t RaftCluster::CommitIndex(env::NodeId node) const {
  const Member& m = members_[node];
  return m.raft ? m.raft->log().committed() : 0;
}

void RaftCluster::HoldAppends(env::NodeId node, uint64_t min_term,
                              std::vector<env::NodeId> shielded) {
  append_hold_ = AppendHold{node, min_term, std::move(shielded)};
}

bool RaftCluster::IsHeld(const AppendHold& hold, env::NodeId to, const raft::Message& append) {
  if (std::find(hold.shielded.begin(), hold.shielded.end(), to) != hold.shielded.end()) return true;
  for (const raft::Entry& entry : append.entries()) {
    if (entry.term() >= hold.min_term) return true;
  }
  return false;
}

void RaftCluster::ReleaseAppends() { append_hold_.reset(); }

std::string RaftCluster::DescribeMembers() const {
  std::string text;
  for (int i = 0; i < member_count(); ++i) {
    const Member& m = members_[i];
    if (!m.raft) {
      text += fmt::format("  member {}: down\n", i + 1);
      continue;
    }
    const raft::Raft& r = *m.raft;
    text += fmt::format(
        "  member {}: {} term={} lead={} last={} commit={} applied={} first={} "
        "write_in_flight={}",
        i + 1, raft::RoleName(r.role()), r.term(), r.leader_id(), r.log().LastIndex(),
        r.log().committed(), m.applied_index, r.log().FirstIndex(), m.write_in_flight);
    if (r.role() == raft::Role::kLeader) {
      for (const auto& [id, progress] : r.tracker().progress()) {
        text += fmt::format(" [{}: {} match={} next={} inflight={} paused={}]", id,
                            raft::ProgressStateName(progress.state), progress.match,
                            progress.next, progress.inflights.count(), progress.IsPaused());
      }
    }
    text += "\n";
  }
  return text;
}

void RaftCluster::FoldFinalState() {
  for (const Member& m : members_) {
    scheduler_.FoldDigest(m.applied_index);
    scheduler_.FoldDigest(m.state_hash);
    scheduler_.FoldDigest(m.raft ? m.raft->term() : 0);
  }
}

bool RaftCluster::Crash(env::NodeId node) {
  Member& m = members_[node];
  if (!m.context->up()) return false;
  if (m.write_in_flight) ++stats_.writes_lost_in_crash;
  m.raft.reset();
  m.clock->DropAllTimers();
  m.context->Crash();
  return true;
}

bool RaftCluster::Restart(env::NodeId node) {
  Member& m = members_[node];
  if (m.context->up()) return false;
  m.context->Restart();
  StartMember(node);
  return true;
}

bool RaftCluster::Pause(env::NodeId node, env::DurationNs duration_ns) {
  Member& m = members_[node];
  if (!m.context->up() || m.context->paused()) return false;
  m.context->PauseUntil(scheduler_.now_ns() + duration_ns);
  return true;
}

bool RaftCluster::SetClockDrift(env::NodeId node, int64_t drift_ppb) {
  Member& m = members_[node];
  if (m.clock->drift_ppb() == drift_ppb) return false;
  m.clock->SetDriftPpb(drift_ppb);
  return true;
}

bool RaftCluster::SetMemoryLimit(env::NodeId, int64_t) {
  // The Raft core has no memory budget of its own; its bounds are the
  // config's byte limits. Memory faults therefore never fire here.
  return false;
}

}  // namespace kv::sim
