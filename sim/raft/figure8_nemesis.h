#pragma once
// Figure8Nemesis: drives a Raft group through the interleaving of Figure 8 of
// the Raft paper, the one that catches a leader committing an older term's
// entry by counting replicas. Layer: sim (harness).
//
// The swarm faults and the other nemeses only stumble into it (no seed in
// 8,000 at the default fault phase), because it needs three leaders in a row
// to lose power at the right moments and a new leader's no-op usually
// travels in the same append as the older entries it re-replicates. A cycle
// of this nemesis forces the sequence:
//   1. a new leader A (term a) is cut off from its followers' appends (every
//      append it sends is lost) for a moment, so its no-op and proposals
//      stay on A alone; then A crashes;
//   2. the next leader B (term b > a) is treated the same way, so B holds,
//      at A's indexes, entries of a higher term; B crashes and A restarts;
//   3. A is re-elected (term t > b). Its appends carrying term-t entries
//      (its new no-op) are lost, and so is every append to B, so only A's
//      term-a entries spread, one per append, to the other members; then A
//      crashes, before its no-op has spread, and B restarts and stands for
//      election with its higher-term suffix.
// A correct leader commits nothing in step 3 (only entries of its own term
// count) and B may overwrite A's entries. A leader that counts replicas of
// older entries commits them, B overwrites committed entries, and leader
// completeness and state machine safety fail. A cycle that the rest of the
// run derails (a crash by another fault, an unexpected leader) is abandoned
// after a deadline and every member it took down is restarted.
// Needs one entry per append (the 1-byte message limit), so the scenario
// enables it only then.

#include <cstdint>
#include <string>

#include "node/env/random.h"
#include "node/env/types.h"
#include "sim/raft/raft_cluster.h"
#include "sim/scheduler.h"

namespace kv::sim {

class Figure8Nemesis {
 public:
  // `eligible`: the run sends one entry per append. The nemesis is then on
  // in two seeds of three (drawn from `random`, its own stream, so that
  // seeds where it is off run exactly as before it existed).
  Figure8Nemesis(Scheduler& scheduler, RaftCluster& cluster, env::Random random,
                 env::DurationNs end_ns, bool eligible);

  // Called after every event.
  void OnEvent();

  // "figure8: on (...)" or "figure8: off", with a newline.
  std::string Describe() const;
  bool active() const { return active_; }
  uint64_t cycles_started() const { return cycles_started_; }
  // Cycles that reached step 3's crash.
  uint64_t cycles_completed() const { return cycles_completed_; }

 private:
  enum class Step { kIdle, kFirstHold, kFirstDown, kSecondHold, kReelect, kFinalHold };

  void Begin(env::NodeId leader, uint64_t term);
  // Ends a hold: releases it and crashes `node`; false if `node` was already
  // down (the cycle is then abandoned).
  bool CrashAfterHold(env::NodeId node);
  // Releases any hold, restarts the members the cycle took down, and rests.
  void Abandon();
  // Ends the cycle; the next may start after `extra_ns` and a drawn rest.
  void Rest(env::DurationNs extra_ns);
  // Runs `action` after a drawn hold, unless the cycle ended meanwhile.
  template <typename Action>
  void AfterHold(Action action);

  Scheduler& scheduler_;
  RaftCluster& cluster_;
  env::Random random_;
  env::DurationNs end_ns_;
  bool active_ = false;
  Step step_ = Step::kIdle;
  uint64_t cycle_ = 0;  // Identifies the cycle a scheduled action belongs to.
  env::TimeNs deadline_ns_ = 0;
  env::NodeId first_ = 0;
  env::NodeId second_ = 0;
  uint64_t last_term_ = 0;  // Highest leader term seen by the current step.
  uint64_t cycles_started_ = 0;
  uint64_t cycles_completed_ = 0;
};

}  // namespace kv::sim
