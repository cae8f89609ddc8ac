#pragma once
// TraceEvent: one thing that happened in a simulated run, as the tracing
// seam hands it to sinks. Layer: sim (trace).
//
// Events are produced only while a Tracer is attached to the scheduler
// (`kvsim replay --trace` / `--trace-json`); a run without one builds none.
// Every event is stamped with the simulator's true time. Node ids are the
// simulator's: servers 0..servers-1, then clients (TraceLayout names them).

#include <cstdint>
#include <string>
#include <vector>

#include "node/env/types.h"

namespace kv::sim::trace {

enum class TraceKind : uint8_t {
  kSend,         // `node` sent a message to `peer` (it arrives after `duration_ns`).
  kDeliver,      // `node` received a message from `peer`.
  kDrop,         // A message from `node` to `peer` was dropped (`drop` says why, `at_arrival` when).
  kTimer,        // A timer of `node` fired (`index` is the clock's timer id).
  kRole,         // `node`'s replica of `shard` changed role, term or leader.
  kCommit,       // `node`'s replica of `shard` advanced its commit index to `index`.
  kClientCall,   // Client `node` issued an operation (`text`: "PUT k1-2").
  kClientReply,  // Client `node` got its answer after `duration_ns` (`detail`: outcome).
  kFault,        // A fault action (`fault` says which); `node` -1 for the whole network.
};

// Why a message was dropped.
enum class DropReason : uint8_t {
  kNone,
  kLoss,        // The link's loss draw.
  kPartition,   // The link was blocked when it was sent or when it arrived.
  kDown,        // The receiver was down when it was sent, or crashed before it arrived.
  kNoReceiver,  // The receiver's process was up but had no logic listening.
  kRefused,     // Send() refused it (oversized, unknown peer).
};
const char* DropReasonName(DropReason reason);

enum class FaultAction : uint8_t {
  kNone,
  kCrash,        // The node's process died (power loss).
  kRestart,      // It came back.
  kStartFailed,  // It came back but refused to start (corrupt state); it stays down.
  kPause,        // Frozen for `duration_ns`.
  kPartition,    // Links blocked (`text` describes the shape).
  kHeal,         // All links open again.
  kClockDrift,   // The node's clock drift changed (`text`: "+50000ppb").
  kMemoryLimit,  // The node's memory budget changed (`text`: old -> new).
  kDiskFaults,   // Disk faults switched on or off on every server (`detail`).
};
const char* FaultActionName(FaultAction action);

// One part of a network message: a Raft message of one shard inside a
// batch, or a client request or reply. Shard 0: not about one shard.
struct MessagePart {
  uint64_t shard = 0;
  std::string text;
};

struct TraceEvent {
  TraceKind kind = TraceKind::kTimer;
  env::TimeNs time_ns = 0;
  int node = -1;  // The node the event is about; -1: the whole cluster.
  int peer = -1;  // Messages: the other end.
  uint64_t shard = 0;
  uint64_t message_id = 0;  // Messages: shared by a send, its deliveries and its drop.
  uint64_t index = 0;       // Commit index; timer id.
  uint64_t term = 0;        // Role changes.
  env::DurationNs duration_ns = 0;  // Send: until arrival. Pause: length. Reply: latency.
  DropReason drop = DropReason::kNone;
  bool at_arrival = false;  // Drops: when the message arrived (else when it was sent).
  FaultAction fault = FaultAction::kNone;
  std::string text;    // Role name, operation, fault shape.
  std::string detail;  // Outcome, extra facts.
  std::vector<MessagePart> parts;  // Messages: what they carry (at least one part).
};

// What the run looks like, so that sinks can name nodes and lay out tracks.
struct TraceLayout {
  uint64_t seed = 0;
  int servers = 0;
  int clients = 0;
  std::vector<uint64_t> shard_ids;
  std::string command;  // How to reproduce the run (for the sinks' headers).
};

// "n3" for server 3, "c1" for the second client; "*" for the cluster.
std::string NodeName(const TraceLayout& layout, int node);

}  // namespace kv::sim::trace
