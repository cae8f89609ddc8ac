#!/usr/bin/env bash
# The main job: install what is missing, build, then run one simulated seed
# (printing its scenario, fault counts, checks and digest) and a sweep of
# seeds with faults. Extra arguments are passed to the sweep, e.g.
#   bash scripts/run.sh --seeds 1..2000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
kvsim=build-release/sim/kvsim/kvsim
echo "== kvsim run --seed 1"
"$kvsim" run --seed 1
echo "== kvsim sweep --seeds ${SWEEP_SEEDS:-1..200}"
if [ $# -gt 0 ]; then
  "$kvsim" sweep --quiet "$@"
else
  "$kvsim" sweep --quiet --jobs "$(nproc 2>/dev/null || echo 2)" --seeds "${SWEEP_SEEDS:-1..200}"
fi
echo "== kvsim determinism --seeds ${SWEEP_SEEDS:-1..200} --sample 5"
"$kvsim" determinism --seeds "${SWEEP_SEEDS:-1..200}" --sample 5
if "$kvsim" help | grep -q 'raft-sweep'; then
  echo "== kvsim raft-sweep --seeds 1..100"
  "$kvsim" raft-sweep --seeds 1..100
fi
# A local 3-node cluster on 127.0.0.1 (the same code as the simulator's
# nodes, on epoll and RocksDB): start it, write and read through kvctl and
# redis-cli, show the shards' leaders, and stop it again.
echo "== local 3-node cluster (scripts/cluster.sh)"
cluster_dir=$(mktemp -d /tmp/kvcluster.XXXXXX)
trap 'bash scripts/cluster.sh stop --dir "$cluster_dir" >/dev/null 2>&1 || true' EXIT
bash scripts/cluster.sh start --dir "$cluster_dir"
kvctl="build-release/node/kvctl/kvctl --cluster=$cluster_dir/cluster.txt"
$kvctl put hello world
$kvctl get hello
if command -v redis-cli >/dev/null; then
  redis-cli -p 7102 set greeting hi
  redis-cli -p 7102 get greeting
fi
bash scripts/cluster.sh status --dir "$cluster_dir"
bash scripts/cluster.sh stop --dir "$cluster_dir"
trap - EXIT
