#!/usr/bin/env bash
# Side-by-side run on this machine: a local 3-node kvnode cluster (each
# backend in turn) against a local redis-server (no persistence, and AOF with
# appendfsync always), the same kvbench workloads on each, redis-benchmark
# -t set,get on our Redis port and on redis-server, idle and loaded RSS per
# process, then one table with ratios. Everything binds 127.0.0.1, runs in a
# temporary directory, is bounded in time, and is stopped on exit (trap).
#
#   scripts/compare.sh [--duration S] [--warmup S] [--keys N] [--backends "epoll uring"]
#                      [--bench-requests N] [--out DIR]
#
# Needs a release build (bash scripts/build.sh release, or BUILD_DIR=...) and
# Debian's redis-server / redis-benchmark / redis-cli. Takes about 4 minutes
# with the defaults. Not part of CI (too slow and too noisy on a shared box).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-release}
duration=5
warmup=1
keys=10000
backends="epoll uring"
bench_requests=20000
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    --bench-requests) bench_requests=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
kvbench=$build/bench/kvbench/kvbench
for f in "$kvbench" "$build/node/kvnode/kvnode" "$build/node/kvctl/kvctl"; do
  [ -x "$f" ] || { echo "compare.sh: $f not built (bash scripts/build.sh release)" >&2; exit 2; }
done
for t in redis-server redis-benchmark redis-cli python3; do
  command -v "$t" >/dev/null || { echo "compare.sh: $t not installed" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/kvcompare.XXXXXX)
[ -n "$out" ] || out=$tmp/results
mkdir -p "$out"
redis_pid=""
cluster_dir=""
cleanup() {
  if [ -n "$cluster_dir" ]; then BIN_DIR=$build/node scripts/cluster.sh stop --dir "$cluster_dir" >/dev/null 2>&1 || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$tmp/kv-"* "$tmp/redis-"*
  [ "$out" = "$tmp/results" ] || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Ports below the ephemeral range, away from cluster.sh's default 7100.
base_port=27100
redis_port=27300

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# run_workloads NAME TARGET_FLAGS PIDS: the kvbench workloads, one JSON each.
run_workloads() {
  local name=$1 target=$2 pids=$3
  local common="--duration_s=$duration --warmup_s=$warmup --keys=$keys --value_bytes=100 --pids=$pids --progress=false --timeout_ms=5000"
  echo "== $name: put, 50 clients"
  timeout 120 "$kvbench" $target $common --mix=0/100 --clients=50 --json="$out/$name.put50.json" | sed -n '4,5p'
  echo "== $name: get, 50 clients (after writing every key)"
  timeout 180 "$kvbench" $target $common --mix=100/0 --clients=50 --preload --json="$out/$name.get50.json" | sed -n '5,6p'
  echo "== $name: 70/30, 50 clients"
  timeout 120 "$kvbench" $target $common --mix=70/30 --clients=50 --json="$out/$name.mix50.json" | sed -n '4,7p'
  echo "== $name: put, 1 client"
  timeout 120 "$kvbench" $target $common --mix=0/100 --clients=1 --json="$out/$name.put1.json" | sed -n '4,5p'
}

# redis_bench NAME PORT: stock redis-benchmark, 50 clients, 100-byte values.
redis_bench() {
  local name=$1 port=$2
  echo "== $name: redis-benchmark -t set,get -n $bench_requests -c 50 -d 100"
  timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -t set,get -n "$bench_requests" -c 50 -d 100 -q \
    | tr '\r' '\n' | grep -E '^(SET|GET): [0-9.]+ requests per second' | tee "$out/$name.redis-benchmark.txt" || true
}

record_rss() {  # record_rss NAME PHASE PIDS
  local name=$1 phase=$2 pids=$3 i=0
  for pid in ${pids//,/ }; do
    echo "$name $phase $i $(rss_kib "$pid") $(hwm_kib "$pid")" >> "$out/rss.txt"
    i=$((i + 1))
  done
}

: > "$out/rss.txt"
echo "load before: $(uptime)" | tee "$out/load.txt"
for backend in $backends; do
  name=kv-$backend
  cluster_dir=$tmp/$name
  if ! BIN_DIR=$build/node scripts/cluster.sh start --dir "$cluster_dir" --base-port $base_port --backend "$backend" >/dev/null; then
    echo "== $name: cluster did not start (see $cluster_dir/node-*.log); skipped"
    BIN_DIR=$build/node scripts/cluster.sh stop --dir "$cluster_dir" >/dev/null 2>&1 || true
    cluster_dir=""
    continue
  fi
  pids=$(cat "$cluster_dir"/node-*.pid | paste -sd,)
  sleep 2
  record_rss "$name" idle "$pids"
  run_workloads "$name" "--cluster=$cluster_dir/cluster.txt" "$pids"
  redis_bench "$name" $((base_port + 2))
  record_rss "$name" loaded "$pids"
  BIN_DIR=$build/node scripts/cluster.sh stop --dir "$cluster_dir" >/dev/null
  cluster_dir=""
done

for mode in none always; do
  name=redis-aof-$mode
  [ "$mode" = none ] && name=redis-nopersist
  mkdir -p "$tmp/$name"
  if [ "$mode" = none ]; then
    persist=(--save "" --appendonly no)
  else
    persist=(--save "" --appendonly yes --appendfsync always)
  fi
  redis-server --bind 127.0.0.1 --port $redis_port --dir "$tmp/$name" --daemonize no \
    --protected-mode yes --logfile "$tmp/$name/redis.log" "${persist[@]}" &
  redis_pid=$!
  for _ in $(seq 1 50); do
    redis-cli -p $redis_port ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  sleep 2
  record_rss "$name" idle "$redis_pid"
  run_workloads "$name" "--redis=127.0.0.1:$redis_port" "$redis_pid"
  redis_bench "$name" $redis_port
  record_rss "$name" loaded "$redis_pid"
  kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
  redis_pid=""
done
echo "load after: $(uptime)" | tee -a "$out/load.txt"

python3 scripts/compare_table.py "$out"
echo "results: $out"
