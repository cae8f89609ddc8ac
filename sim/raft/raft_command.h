#pragma once
// The `kvsim raft` and `kvsim raft-sweep` subcommands. Layer: sim (binary
// support; the kvsim binary dispatches to it).
//
//   kvsim raft --seed S [--members 3|5] [--bug NAME] [--fault-phase-ms MS]
//   kvsim raft-sweep --seeds A..B [--members N] [--bug NAME] [--fault-phase-ms MS]
//                    [--quiet]
//
// `raft` runs one seed and prints the scenario, the counts, the checks and
// the digest. `raft-sweep` runs every seed in A..B and prints each failing
// seed with a one-line replay command. Bug names are raft::RaftBugName's.
// Exit status: 0 all passed, 1 a run failed, 2 a usage error.

namespace kv::sim {

// argv[0] is the subcommand name ("raft" or "raft-sweep").
int RaftCommandMain(int argc, char** argv);

}  // namespace kv::sim
