#include "node/kv/kv_state_machine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/env/check.h"
#include "node/env/status_macros.h"
#include "node/kv/log_payload_reader.h"
#include "node/kv/result_copier.h"
#include "node/kv/session_codec.h"
#include "raft/kept_buffer.h"
#include "storage/coding.h"

namespace kv::node {
namespace {

// The per-batch buffers keep their capacity up to this many commands.
constexpr size_t kKeptBatchCommands = 64;
// The same for ApplyBatch's mutations: two per command, as a rule.
constexpr size_t kKeptMutations = 2 * kKeptBatchCommands;

// Stale session-order entries tolerated beyond one per session before they
// are compacted away.
constexpr size_t kOrderSlack = 64;

// Resizes a reused key to `size`. Out of line: inline, growing a string
// made its callers (AddMutation among them) save six registers for the
// usual call, which has the length it needs.
[[gnu::noinline]] void ResizeKey(std::string& key, size_t size) { key.resize(size); }

// Sets a reused key's length to `size`: a shorter one in place, by erase's
// inline length update (half the changes of length in the standard
// scenario, whose keys vary by a few bytes), a longer one by ResizeKey.
[[gnu::always_inline]] inline void SetKeySize(std::string& key, size_t size) {
  if (size < key.size()) {
    key.erase(size);
  } else if (size > key.size()) {
    ResizeKey(key, size);
  }
}

// Sets `to` to `bytes`, reusing its buffer. Sized first and written in
// place: resizing a reused buffer to the same length or a shorter one only
// sets its length, where assign() took a call. Resized only if the length
// differs: std::string::resize is out of line, a call even when it has
// nothing to do. For keys, whose lengths vary little (a session key's
// never); values, which vary more, grew costlier this way. Copied by
// storage::CopyBytes, inline up to 32 bytes (every key of the standard
// scenario): std::copy called memmove, twice per applied write.
[[gnu::always_inline]] inline void AssignReused(absl::string_view bytes, std::string& to) {
  SetKeySize(to, bytes.size());
  storage::CopyBytes(to.data(), bytes);
}

// Sets `key` to DataKey(user_key), reusing its buffer.
[[gnu::always_inline]] inline void AssignDataKey(absl::string_view user_key, std::string& key) {
  // Built by hand: a StrCat call per applied command showed in the profile;
  // in place, as AssignReused.
  SetKeySize(key, 1 + user_key.size());
  key[0] = 'd';
  storage::CopyBytes(key.data() + 1, user_key);
}

// The size of a session's stored key: 's' and the client id.
constexpr size_t kSessionKeyBytes = 9;

// Writes SessionKey(client_id) at `key`. Built in a buffer, which needs no
// allocation, rather than by a push_back per byte, as it runs per write.
void WriteSessionKey(uint64_t client_id, char* key) {
  key[0] = 's';
  for (int i = 0; i < 8; ++i) key[1 + i] = static_cast<char>((client_id >> (8 * (7 - i))) & 0xff);
}

}  // namespace

std::string DataKey(absl::string_view user_key) {
  std::string key;
  AssignDataKey(user_key, key);
  return key;
}

std::string SessionKey(uint64_t client_id) {
  char key[kSessionKeyBytes];
  WriteSessionKey(client_id, key);
  return std::string(key, sizeof(key));
}

absl::Status InvalidCommandError(const CommandFields& c, const KvLimits& limits) {
  if (c.op != pb::OP_GET && c.op != pb::OP_PUT && c.op != pb::OP_DELETE &&
      c.op != pb::OP_CAS) {
    return absl::InvalidArgumentError(absl::StrCat("unknown operation ", static_cast<int>(c.op)));
  }
  if (c.key.size() > limits.max_key_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key of ", c.key.size(), " bytes exceeds the limit of ", limits.max_key_bytes));
  }
  if (c.value.size() > limits.max_value_bytes || c.expected.size() > limits.max_value_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "value of ", std::max(c.value.size(), c.expected.size()),
        " bytes exceeds the limit of ", limits.max_value_bytes));
  }
  // All that is left to fail (the precondition).
  KV_CHECK(c.op != pb::OP_GET);
  KV_CHECK_EQ(c.sequence, 0u);
  return absl::InvalidArgumentError("writes need a session sequence number >= 1");
}

KvStateMachine::KvStateMachine(storage::StateMachineStorage& storage, storage::ShardId shard,
                               const KvLimits& limits)
    : storage_(storage), shard_(shard), limits_(limits) {}

absl::Status KvStateMachine::Load() {
  sessions_.clear();
  session_order_.clear();
  order_front_ = 0;
  sessions_unknown_fields_ = false;
  touched_.clear();
  touched_count_ = 0;
  applied_index_ = storage_.AppliedIndex(shard_);
  // Pair by pair, as the snapshot stream would deliver them but without its
  // chunks (every start and snapshot install loads every shard).
  KV_ASSIGN_OR_RETURN(auto reader, storage_.ReadSnapshot(shard_));
  storage::KeyValue kv;
  std::string previous_key;
  for (bool first = true;; first = false) {
    KV_ASSIGN_OR_RETURN(const bool more, reader->NextPair(kv));
    if (!more) break;
    // What the snapshot stream's assembler checks of a shard's keys.
    if (!first && !(previous_key < kv.key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard ", shard_, ": stored keys not strictly ascending"));
    }
    previous_key = kv.key;
    if (kv.key.empty() || kv.key[0] != 's' || kv.key.size() != 9) continue;
    uint64_t client_id = 0;
    for (int i = 1; i <= 8; ++i) client_id = (client_id << 8) | static_cast<uint8_t>(kv.key[i]);
    pb::Session session;
    if (!session.ParseFromString(kv.value)) {
      return absl::DataLossError(absl::StrCat("shard ", shard_, ": corrupt session of client ", client_id));
    }
    sessions_unknown_fields_ = sessions_unknown_fields_ || HasUnknownFields(session);
    const uint64_t last_index = session.last_index();
    auto it = sessions_.emplace(client_id, SessionRecord{std::move(session)}).first;
    session_order_.push_back(OrderEntry{last_index, it});
  }
  // Into (last index, client id) order, which later writes extend.
  std::sort(session_order_.begin(), session_order_.end(),
            [](const OrderEntry& a, const OrderEntry& b) {
              return std::make_pair(a.last_index, a.session->first) <
                     std::make_pair(b.last_index, b.session->first);
            });
  return absl::OkStatus();
}

storage::Mutation& KvStateMachine::AddMutation(storage::Mutation::Kind kind, absl::string_view key) {
  if (mutation_count_ == mutations_.size()) [[unlikely]] GrowMutations();
  storage::Mutation& mutation = mutations_[mutation_count_++];
  mutation.kind = kind;
  AssignReused(key, mutation.key);
  return mutation;
}

void KvStateMachine::GrowMutations() { mutations_.emplace_back(); }

void KvStateMachine::Execute(const CommandFields& c, size_t slot, pb::Result& result) {
  if (!ValidateCommand(c, limits_).ok() || c.op == pb::OP_GET) {
    result.set_code(pb::CODE_INVALID_ARGUMENT);  // Deterministic on every replica.
    return;
  }
  Touched& touched = touched_[slot];
  result.set_code(pb::CODE_OK);
  switch (c.op) {
    case pb::OP_CAS: {
      const bool matches = c.expect_absent ? !touched.found
                                           : touched.found && touched.Current() == c.expected;
      if (!matches) {
        result.set_code(pb::CODE_CAS_MISMATCH);
        result.set_found(touched.found);
        if (touched.found) result.set_value(touched.Current().data(), touched.Current().size());
        return;
      }
      // A matching compare-and-set writes as a put does: one copy of the
      // write below, whose value assign GCC inlines (two copies made it
      // call an out-of-line clone of std::string::_M_replace instead).
      [[fallthrough]];
    }
    case pb::OP_PUT:
      touched.found = true;
      touched.Write(c.value);
      {
        std::string& value = AddMutation(storage::Mutation::Kind::kPut, touched.data_key).value;
        value.assign(c.value.data(), c.value.size());
        NoteKeptBuffer(value);
      }
      break;
    case pb::OP_DELETE:
      if (!touched.found) {
        result.set_code(pb::CODE_NOT_FOUND);
        return;
      }
      touched.found = false;
      AddMutation(storage::Mutation::Kind::kDelete, touched.data_key).value.clear();
      break;
    default:
      result.set_code(pb::CODE_INVALID_ARGUMENT);
      return;
  }
}

void KvStateMachine::RecordSession(Sessions::iterator it, uint64_t sequence,
                                   const pb::Result& result, uint64_t last_index) {
  const uint64_t client_id = it->first;
  SessionRecord& record = it->second;
  // Updated in place: the stored session's result message is reused
  // rather than a new session built and swapped in for every write, and
  // copied into field by field (result_copier.h).
  pb::Session& session = record.session;
  session.set_sequence(sequence);
  CopyResult(result, *session.mutable_result());
  session.set_last_index(last_index);
  // After the update: the session's earlier order entry is now stale.
  PushOrder(it, last_index);
  char key[kSessionKeyBytes];
  WriteSessionKey(client_id, key);
  storage::Mutation& put = AddMutation(storage::Mutation::Kind::kPut, absl::string_view(key, sizeof(key)));
  if (sessions_unknown_fields_) {
    const bool serialized = session.SerializeToString(&put.value);
    KV_CHECK(serialized);  // A message of scalars and bytes always serializes.
  } else {
    // From the fields just set rather than through the session's accessors.
    EncodeSessionInto(sequence, result, last_index, put.value);
  }
  NoteKeptBuffer(put.value);
  while (sessions_.size() > limits_.max_sessions) {
    // Not empty: a live entry per session.
    KV_CHECK_LT(order_front_, session_order_.size());
    const OrderEntry oldest = session_order_[order_front_++];
    if (!IsLive(oldest)) continue;
    const uint64_t evicted = oldest.session->first;
    sessions_.erase(oldest.session);
    WriteSessionKey(evicted, key);
    AddMutation(storage::Mutation::Kind::kDelete, absl::string_view(key, sizeof(key))).value.clear();
  }
}

void KvStateMachine::PushOrder(Sessions::iterator session, uint64_t last_index) {
  // Strictly after every earlier write: what keeps the queue sorted.
  KV_CHECK(session_order_.empty() || session_order_.back().last_index < last_index);
  session_order_.push_back(OrderEntry{last_index, session});
  // Amortized: at most one stale or evicted entry per live one (plus slack)
  // survives. The evicted ones, before order_front_, go too.
  if (session_order_.size() > 2 * sessions_.size() + kOrderSlack) [[unlikely]] CompactOrder();
}

void KvStateMachine::CompactOrder() {
  // The live entries move to the start in one pass, in order.
  size_t kept = 0;
  for (size_t i = order_front_; i < session_order_.size(); ++i) {
    if (IsLive(session_order_[i])) session_order_[kept++] = session_order_[i];
  }
  session_order_.resize(kept);
  order_front_ = 0;
}

void KvStateMachine::ParseCommands(absl::Span<const raft::Entry> entries) {
  if (commands_.size() < entries.size()) commands_.resize(entries.size());
  // Resized, then set entry by entry below: most batches are as long as
  // the last one (one entry), and assign() called out to fill even those.
  slots_.resize(entries.size());
  by_key_.clear();
  for (size_t i = 0; i < entries.size(); ++i) {
    const raft::Entry& e = entries[i];
    KV_CHECK_EQ(e.index(), applied_index_ + 1 + i);
    slots_[i] = kNoCommand;  // A command's slot is set below.
    if (e.type() != raft::ENTRY_NORMAL || e.data().empty()) continue;
    // The hand reader declines what it does not know for protobuf to parse.
    if (!ReadCommandFields(e.data(), commands_[i])) {
      pb::Command& parsed = fallback_.emplace_back();
      if (!parsed.ParseFromString(e.data())) continue;  // Applied as INVALID.
      commands_[i] = FieldsOf(parsed);
    }
    by_key_.push_back(i);
  }
  // Sorted by (key, entry), each key's commands follow its first one, whose
  // entry they all take as their slot for ReadTouchedKeys to resolve.
  // Sorting keeps a huge batch (a replica catching up) from costing a
  // search of all earlier keys per command. Most batches hold one command,
  // already in order: the call into the sort showed.
  if (by_key_.size() > 1) {
    std::sort(by_key_.begin(), by_key_.end(), [this](size_t a, size_t b) {
      const int order = commands_[a].key.compare(commands_[b].key);
      return order != 0 ? order < 0 : a < b;
    });
  }
  size_t first = kNoCommand;
  for (size_t k = 0; k < by_key_.size(); ++k) {
    const size_t i = by_key_[k];
    if (k == 0 || commands_[i].key != commands_[by_key_[k - 1]].key) first = i;
    slots_[i] = first;
  }
}

absl::Status KvStateMachine::ReadTouchedKeys() {
  // In entry order, as the reads must be: each read may see a fault.
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] == kNoCommand) continue;
    if (slots_[i] < i) {
      // The key was first touched at entry slots_[i], already resolved.
      slots_[i] = slots_[slots_[i]];
      continue;
    }
    if (touched_count_ == touched_.size()) touched_.emplace_back();
    Touched& touched = touched_[touched_count_];
    AssignDataKey(commands_[i].key, touched.data_key);
    absl::StatusOr<bool> found = storage_.GetInto(shard_, touched.data_key, touched.value);
    NoteKeptBuffer(touched.value);
    if (!found.ok()) return found.status();
    touched.found = *found;
    touched.written = false;
    slots_[i] = touched_count_++;
  }
  return absl::OkStatus();
}

void KvStateMachine::ResetBatchBuffers() {
  // Storage has read the mutations (during Apply): they stay for the next
  // batch to overwrite, keeping their strings' buffers, as the touched
  // values do, unless one grew huge.
  if (kept_may_be_huge_) [[unlikely]] ReleaseHugeBuffers();
  touched_count_ = 0;
  mutation_count_ = 0;
  // Tested first: clearing even an empty deque walks its node map.
  if (!fallback_.empty() || commands_.size() > kKeptBatchCommands ||
      mutations_.size() > kKeptMutations) [[unlikely]] {
    ShrinkBatchBuffers();
  }
}

void KvStateMachine::ReleaseHugeBuffers() {
  for (size_t i = 0; i < touched_count_; ++i) raft::ReleaseIfHuge(touched_[i].value);
  for (size_t i = 0; i < mutation_count_; ++i) raft::ReleaseIfHuge(mutations_[i].value);
  kept_may_be_huge_ = false;
}

size_t KvStateMachine::LargestKeptValueBytes() const {
  size_t largest = 0;
  for (const Touched& touched : touched_) largest = std::max(largest, touched.value.capacity());
  for (const storage::Mutation& mutation : mutations_) largest = std::max(largest, mutation.value.capacity());
  return largest;
}

void KvStateMachine::ShrinkBatchBuffers() {
  fallback_.clear();
  if (commands_.size() > kKeptBatchCommands) {
    commands_.resize(kKeptBatchCommands);
    commands_.shrink_to_fit();
    slots_ = {};
    by_key_ = {};
    touched_ = {};
  }
  if (mutations_.size() > kKeptMutations) {
    mutations_.resize(kKeptMutations);
    mutations_.shrink_to_fit();
  }
}

absl::StatusOr<size_t> KvStateMachine::ApplyBatch(absl::Span<const raft::Entry> entries,
                                                  std::vector<Applied>& applied, env::OnDone on_done) {
  KV_CHECK(!entries.empty());
  // Read every key the batch touches once, up front: a corrupt stored value
  // fails the whole batch before anything is decided, and each key is read
  // from storage only once (a second read could see a different fault).
  ParseCommands(entries);
  if (absl::Status status = ReadTouchedKeys(); !status.ok()) {
    ResetBatchBuffers();
    return status;
  }
  // None in use between batches (see below); their buffers are kept.
  KV_CHECK_EQ(mutation_count_, 0u);
  // A data mutation and a session record per command, as a rule.
  mutations_.reserve(2 * by_key_.size());
  if (applied.size() < entries.size()) applied.reserve(entries.size());
  size_t applied_count = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const raft::Entry& e = entries[i];
    if (e.type() != raft::ENTRY_NORMAL || e.data().empty()) continue;
    // Filled in place: building each result apart and moving it in (a
    // protobuf construction, swap and destruction) showed per command.
    // An element left by an earlier batch is reset to what a fresh one holds.
    if (applied_count == applied.size()) applied.emplace_back();
    Applied& out = applied[applied_count++];
    out.index = e.index();
    out.client_id = 0;
    out.sequence = 0;
    out.result.Clear();
    if (slots_[i] == kNoCommand) {
      out.result.set_code(pb::CODE_INVALID_ARGUMENT);
      continue;
    }
    const CommandFields& c = commands_[i];
    out.client_id = c.client_id;
    out.sequence = c.sequence;
    // Looked up once for the check and the record: a new session is added
    // here, and always recorded below.
    auto [session, inserted] = sessions_.try_emplace(c.client_id);
    if (!inserted && c.sequence <= session->second.session.sequence() && !limits_.bug_apply_retry_twice) {
      // A retry of the last write gets its recorded result; anything older
      // is a bug in the client or a very late duplicate: refuse it.
      const bool retry = c.sequence == session->second.session.sequence();
      deduplicated_count_ += retry;
      if (retry) {
        CopyResult(session->second.session.result(), out.result);
      } else {
        out.result.set_code(pb::CODE_STALE_SEQUENCE);
      }
      continue;
    }
    Execute(c, slots_[i], out.result);
    RecordSession(session, c.sequence, out.result, e.index());
  }
  applied_index_ = entries.back().index();
  storage_.Apply(shard_, applied_index_, absl::MakeConstSpan(mutations_.data(), mutation_count_),
                 std::move(on_done));
  // Apply read the mutations during the call only.
  ResetBatchBuffers();
  return applied_count;
}

absl::StatusOr<pb::Result> KvStateMachine::Read(absl::string_view key) {
  pb::Result result;
  KV_RETURN_IF_ERROR(ReadInto(key, result));
  return result;
}

absl::Status KvStateMachine::ReadInto(absl::string_view key, pb::Result& result) {
  // Read straight into the result: no value copied on the way. The value
  // stays empty (so unset, in proto3) when the key has none.
  result.Clear();
  AssignDataKey(key, read_key_);
  KV_ASSIGN_OR_RETURN(const bool found, storage_.GetInto(shard_, read_key_, *result.mutable_value()));
  result.set_code(found ? pb::CODE_OK : pb::CODE_NOT_FOUND);
  result.set_found(found);
  return absl::OkStatus();
}

}  // namespace kv::node
