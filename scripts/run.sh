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
if "$kvsim" help | grep -q 'raft-sweep'; then
  echo "== kvsim raft-sweep --seeds 1..100"
  "$kvsim" raft-sweep --seeds 1..100
fi
