#pragma once
// KvStateMachine: the replicated key-value state of one shard replica, with
// client sessions for exactly-once writes. Layer: node.
//
// Committed Raft entries are applied in batches: every command of the batch
// is executed against the stored state plus the batch's own earlier writes,
// and all resulting mutations, the session records and the new applied index
// go to storage in ONE atomic write. So a crash never leaves data applied
// without its session record or applied index, and a restarted replica
// resumes exactly after the last applied entry.
//
// Stored layout within the shard: "d" + user key -> value; "s" + client id
// (8 bytes, big-endian) -> pb::Session.
//
// Sessions (Raft thesis 6.3): each write carries (client id, sequence); a
// client has one write outstanding at a time, so the table keeps each
// client's last sequence and result. A retry of the last write gets the
// stored result without being applied again; an older sequence is refused.
// The table is bounded: past `max_sessions`, the session with the oldest last
// write (by Raft index, then client id) is evicted, identically on every
// replica because it depends only on the log.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "node/env/executor.h"
#include "node/kv/command_writer.h"
#include "node/kv/kv.pb.h"
#include "raft/kept_buffer.h"
#include "raft/raft.pb.h"
#include "storage/state_machine_storage.h"

namespace kv::node {

struct KvLimits {
  uint64_t max_key_bytes = 4 << 10;
  uint64_t max_value_bytes = 1 << 20;  // 1 MiB.
  uint64_t max_sessions = 10'000;
  // Teeth (kv_bugs.h): apply retried writes again.
  bool bug_apply_retry_twice = false;
};

// ValidateCommand's error for a command that fails it. Precondition: it
// does.
[[nodiscard]] absl::Status InvalidCommandError(const CommandFields& command, const KvLimits& limits);

// Checks a client command against the limits and the op set.
// Errors: kInvalidArgument naming the offending size and limit, or the op.
// Inline in its usual case: it runs for every request, and on every replica
// for every applied command, and the call was most of its cost;
// InvalidCommandError checks it all again to name what failed.
[[nodiscard]] inline absl::Status ValidateCommand(const CommandFields& c, const KvLimits& limits) {
  const bool known_op =
      c.op == pb::OP_GET || c.op == pb::OP_PUT || c.op == pb::OP_DELETE || c.op == pb::OP_CAS;
  if (known_op && c.key.size() <= limits.max_key_bytes &&
      c.value.size() <= limits.max_value_bytes && c.expected.size() <= limits.max_value_bytes &&
      (c.op == pb::OP_GET || c.sequence != 0)) [[likely]] {
    return absl::OkStatus();
  }
  return InvalidCommandError(c, limits);
}
inline absl::Status ValidateCommand(const pb::Command& command, const KvLimits& limits) {
  return ValidateCommand(FieldsOf(command), limits);
}

class KvStateMachine {
 public:
  // One applied command: the entry index and what to answer.
  struct Applied {
    uint64_t index = 0;
    uint64_t client_id = 0;
    uint64_t sequence = 0;
    pb::Result result;
  };

  // `storage` must outlive this object.
  KvStateMachine(storage::StateMachineStorage& storage, storage::ShardId shard,
                 const KvLimits& limits);

  // The capacity of the largest value buffer kept between batches, for
  // tests of the bound (kept_buffer.h).
  size_t LargestKeptValueBytes() const;

  // Rebuilds the in-memory session index from storage (start-up, and after a
  // snapshot was installed). Errors: kDataLoss for corrupt stored state.
  [[nodiscard]] absl::Status Load();

  // Applies committed `entries` (in order, contiguous, after the applied
  // index) as one storage write that completes through `on_done`. Writes
  // the result of every command entry, in entry order, to applied[0, n)
  // and returns n. Elements from n on are left as they were: a caller that
  // passes the same vector each time reuses them, since constructing and
  // destroying a pb::Result per command showed. Entries without a command
  // (leader no-ops, conf changes) only advance the applied index.
  // Errors (returned; nothing written): kDataLoss if a stored value is
  // corrupt. Precondition: entries non-empty.
  [[nodiscard]] absl::StatusOr<size_t> ApplyBatch(absl::Span<const raft::Entry> entries,
                                                  std::vector<Applied>& applied, env::OnDone on_done);

  // A linearizable read's final step: the value of `key` now (the caller has
  // waited for the read index to be applied).
  [[nodiscard]] absl::StatusOr<pb::Result> Read(absl::string_view key);
  // Read() into `result`, which is cleared first and keeps its value's
  // buffer: a caller serving a read per client request reuses one result
  // rather than building and destroying one (and its value string) each
  // time. Errors: as Read(); `result` is then unspecified.
  [[nodiscard]] absl::Status ReadInto(absl::string_view key, pb::Result& result);

  // The index of the last entry handed to ApplyBatch (the storage may still
  // be syncing it).
  uint64_t applied_index() const { return applied_index_; }
  size_t session_count() const { return sessions_.size(); }
  // Retried writes answered from the session table instead of applied again.
  uint64_t deduplicated_count() const { return deduplicated_count_; }

 private:
  struct SessionRecord {
    pb::Session session;
  };
  using Sessions = std::map<uint64_t, SessionRecord>;  // By client id.
  // One recorded write in session_order_: the session and the Raft index
  // it was recorded at. Live while that is still the session's last index;
  // a later write of the same session leaves it stale.
  struct OrderEntry {
    uint64_t last_index = 0;
    Sessions::iterator session;
  };
  // One key the batch touches: the stored value, read once, then the
  // batch's own writes. Kept between batches, strings and all, so that a
  // batch's reads reuse their buffers rather than allocate.
  struct Touched {
    std::string data_key;
    // Whether the key has a value as the batch's commands so far leave it.
    bool found = false;
    // The stored value, as read (meaningful only if the read found one).
    std::string value;
    // Whether a command of the batch wrote the key, and the value it wrote:
    // a view of the value in its command, valid for the batch (into its
    // entry, or into fallback_). Not a copy: the value was copied into the
    // write's mutation, and a copy here too cost a call per write.
    bool written = false;
    absl::string_view written_value;

    void Write(absl::string_view new_value) {
      written = true;
      written_value = new_value;
    }
    // The key's value as the batch's commands so far leave it, meaningful
    // only if found.
    absl::string_view Current() const { return written ? written_value : absl::string_view(value); }
  };

  // ApplyBatch's steps below are always inlined into it: each runs once per
  // batch (Execute and RecordSession once per command, and a batch holds
  // one command as a rule), GCC kept them apart for their size, and their
  // calls' frames were 2.5M of the 6 s standard run's instructions.
  // (PushOrder is inlined without its rare compaction, CompactOrder:
  // inlined whole, it cost more. AddMutation, which GCC
  // inlined by itself until its key copy became inline, is always inlined:
  // left a call, it cost 2.7M more.)

  // Parses the batch's commands into commands_ (viewing `entries`' data, or
  // fallback_ for what protobuf parsed) and sets slots_ to the entry
  // of the first command on the same key (kNoCommand for entries without a
  // command).
  [[gnu::always_inline]] inline void ParseCommands(absl::Span<const raft::Entry> entries);
  // Reads every key the batch touches into touched_, once each, in the order
  // the keys first occur, and turns slots_ into indexes of touched_.
  // Errors: the storage's.
  [[nodiscard, gnu::always_inline]] inline absl::Status ReadTouchedKeys();
  // Executes `command` against touched_[slot], setting `result` (a fresh
  // one) and adding its mutation.
  [[gnu::always_inline]] inline void Execute(const CommandFields& command, size_t slot,
                                             pb::Result& result);
  // Records the write `sequence` (at Raft index `last_index`) and its
  // result in the session at `it` (possibly just added), evicting the
  // oldest session past max_sessions; adds the mutations that store it.
  [[gnu::always_inline]] inline void RecordSession(Sessions::iterator it, uint64_t sequence,
                                                   const pb::Result& result, uint64_t last_index);
  // The batch's next mutation, of `kind` on `key`, with the value a kept
  // one left (the caller sets it: a delete's must be cleared).
  [[gnu::always_inline]] inline storage::Mutation& AddMutation(storage::Mutation::Kind kind,
                                                                absl::string_view key);
  // AddMutation's rare part: a mutation more than any batch had, appended.
  // Out of line, so that the usual call, which reuses a kept one, does not
  // set up a frame for growing the vector.
  [[gnu::noinline]] void GrowMutations();
  // Whether `entry` is still its session's last write.
  static bool IsLive(const OrderEntry& entry) {
    return entry.session->second.session.last_index() == entry.last_index;
  }
  // Appends the write of `session` at `last_index` to session_order_,
  // dropping stale entries once they outnumber the live ones.
  // Always inline, its compaction apart: the call (a frame of six saved
  // registers around a push and a test) cost more than the push.
  [[gnu::always_inline]] inline void PushOrder(Sessions::iterator session, uint64_t last_index);
  // PushOrder's rare part: drops the stale and evicted entries.
  [[gnu::noinline]] void CompactOrder();
  // Drops what the batch left in the per-batch buffers (its mutations too,
  // once storage has read them), keeping their capacity unless a rare huge
  // batch or value grew them. Always inline: a few stores since its loops
  // went (NoteKeptBuffer), and GCC left it a call as ApplyBatch grew.
  [[gnu::always_inline]] inline void ResetBatchBuffers();
  // Notes a value buffer the batch wrote (a touched value or a mutation's):
  // if it grew past the kept bound (kept_buffer.h), ResetBatchBuffers
  // releases the huge ones. Checked where a buffer grows rather than by
  // ResetBatchBuffers walking every buffer of every batch (two loops per
  // batch, about 1M instructions per standard run).
  void NoteKeptBuffer(const std::string& buffer) {
    kept_may_be_huge_ = kept_may_be_huge_ || raft::ExceedsKeptBound(buffer.capacity());
  }
  // ResetBatchBuffers' rare part: releases the huge value buffers of the
  // batch's touched keys and mutations. Out of line, as ShrinkBatchBuffers.
  [[gnu::noinline]] void ReleaseHugeBuffers();
  // ResetBatchBuffers' rare part: drops the commands only protobuf parsed,
  // and the room a huge batch grew. Out of line, so that the usual reset
  // does not set up a frame for it.
  [[gnu::noinline]] void ShrinkBatchBuffers();

  storage::StateMachineStorage& storage_;
  storage::ShardId shard_;
  KvLimits limits_;
  uint64_t applied_index_ = 0;
  uint64_t deduplicated_count_ = 0;
  Sessions sessions_;
  // The eviction order, (last index, client id) ascending, as a queue of
  // recorded writes: entries apply in index order and every index belongs
  // to one command, so a new write always sorts last, and a write moves
  // its session to the back by appending rather than by re-sorting (the
  // std::set this replaces cost a tree erase and insert per write). A
  // session's earlier entries go stale in place and are skipped or
  // compacted away; they all precede its live entry, so they are gone
  // before the session can be evicted and never outlive its iterator.
  // A vector whose front is session_order_[order_front_] (evictions only
  // advance it; compaction drops what it passed): a std::deque's
  // push_back and size() cost twice a vector's, once per applied write.
  // Invariant: order_front_ <= session_order_.size().
  std::vector<OrderEntry> session_order_;
  size_t order_front_ = 0;
  // Whether a loaded session holds fields this version does not know; if
  // so, sessions are written by protobuf, which keeps them (session_codec.h).
  bool sessions_unknown_fields_ = false;
  // Per-batch state, kept between batches so that applying a command
  // allocates little: most batches hold one command, and building these
  // afresh (a std::map node and key copies per command) was a sizeable
  // share of the simulator's apply cost.
  static constexpr size_t kNoCommand = SIZE_MAX;
  // The parsed command of every entry, valid where slots_ is not
  // kNoCommand: views into the entry's data rather than a pb::Command, whose
  // clearing and string copies cost more than the rest of the parse.
  std::vector<CommandFields> commands_;
  // The commands only protobuf could parse (rare), which commands_ views; a
  // deque so that adding one leaves the others in place.
  std::deque<pb::Command> fallback_;
  // Per entry: the slot in touched_ of its command's key, or kNoCommand.
  std::vector<size_t> slots_;
  // The keys the batch touches, in the order they first occur: the first
  // touched_count_ entries (the rest are kept for their buffers).
  std::vector<Touched> touched_;
  size_t touched_count_ = 0;
  // ApplyBatch's mutations, handed to storage by reference: the first
  // mutation_count_ (none between batches). The rest are kept, strings and
  // all, for the next batch to overwrite: a vector per batch showed, and
  // then an allocation per stored value or session record.
  std::vector<storage::Mutation> mutations_;
  size_t mutation_count_ = 0;
  // Whether a buffer of touched_[0, touched_count_) or
  // mutations_[0, mutation_count_) may exceed the kept bound
  // (NoteKeptBuffer). Every kept buffer is within it between batches.
  bool kept_may_be_huge_ = false;
  // ReadInto()'s storage key, reused across reads.
  std::string read_key_;
  // Scratch for ParseCommands: command entries sorted by key.
  std::vector<size_t> by_key_;
};

// Stored key of a user key and of a client's session.
std::string DataKey(absl::string_view user_key);
std::string SessionKey(uint64_t client_id);

}  // namespace kv::node
