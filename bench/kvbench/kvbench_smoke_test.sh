#!/usr/bin/env bash
# CI smoke run: a local 3-node cluster (scripts/cluster.sh, 127.0.0.1), then
# kvbench for about two seconds over the native protocol and over RESP; both
# must finish with successful requests of each kind and no errors, and the
# JSON must name the three server processes. Bounded: every step has a
# timeout, and the trap stops the cluster and removes its directory.
#   kvbench_smoke_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source_dir=$2
kvbench=$build/bench/kvbench/kvbench
dir=$(mktemp -d /tmp/kvbench_smoke.XXXXXX)
# Ports below the ephemeral range, spread by pid so parallel runs differ.
base=$((20000 + ($$ % 500) * 20))
cleanup() {
  BIN_DIR=$build/node timeout 30 "$source_dir/scripts/cluster.sh" stop --dir "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
BIN_DIR=$build/node timeout 60 "$source_dir/scripts/cluster.sh" start --dir "$dir" --base-port "$base" --shards 2

check() {  # check JSON_FILE
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ops = r["ops"]
for op in ("get", "put"):
    assert op in ops and ops[op]["count"] > 0, f"no successful {op}: {ops}"
    assert ops[op]["errors"] == 0 and ops[op]["timeouts"] == 0, ops[op]
    assert 0 < ops[op]["latency_ns"]["p50"] <= ops[op]["latency_ns"]["max"], ops[op]
PY
}

timeout 60 "$kvbench" --cluster="$dir/cluster.txt" --clients=4 --keys=100 --duration_s=1.5 --warmup_s=0.3 \
  --progress=false --json="$dir/native.json"
check "$dir/native.json"
python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['servers']; assert len(s)==3 and all(x['ok'] for x in s), s" "$dir/native.json"

timeout 60 "$kvbench" --redis=127.0.0.1:$((base + 2)),127.0.0.1:$((base + 12)) --clients=4 --connections=2 \
  --pipeline=2 --keys=100 --duration_s=1 --warmup_s=0.3 --progress=false --json="$dir/resp.json"
check "$dir/resp.json"

# A bad flag is refused with exit code 2.
set +e
"$kvbench" --cluster="$dir/cluster.txt" --clients=0 >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "bad flag gave exit $rc, want 2" >&2; exit 1; }
echo "kvbench smoke test passed"
