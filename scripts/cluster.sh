#!/usr/bin/env bash
# Starts or stops a local 3-node kvnode cluster on 127.0.0.1.
#
#   scripts/cluster.sh start [--dir DIR] [--base-port P] [--backend epoll|uring] [--shards N]
#                            [--node-flag FLAG]...   (FLAG passed to every kvnode, e.g.
#                                                     --node-flag --memory_limit_bytes=8388608)
#   scripts/cluster.sh stop  [--dir DIR]            (SIGTERM, then wait)
#   scripts/cluster.sh status [--dir DIR]           (kvctl status)
#
# Node i listens on P+10*i (peers), +1 (clients), +2 (redis), +3 (metrics).
# DIR (default /tmp/kvcluster) holds cluster.txt, data-i/, node-i.log and
# node-i.pid. The binaries come from $BIN_DIR (default build-release/node).
# Then:  build-release/node/kvctl/kvctl --cluster=DIR/cluster.txt put k v
#        redis-cli -p $((P+2)) set k v
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-}
shift || true
dir=/tmp/kvcluster
base=7100
backend=epoll
shards=3
node_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --base-port) base=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --node-flag) node_flags+=("$2"); shift 2 ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# Whether process $1 is alive: a killed node whose parent has not reaped it
# yet (a zombie) answers kill -0, but is not running.
# (Read from /proc: a minimal Debian has no ps.)
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }  # The state letter follows the command's name.
  [[ $stat != Z* ]]
}
bin=${BIN_DIR:-build-release/node}
kvnode=$bin/kvnode/kvnode
kvctl=$bin/kvctl/kvctl

case "$action" in
  start)
    [ -x "$kvnode" ] || { echo "cluster.sh: $kvnode not built (bash scripts/build.sh release)" >&2; exit 2; }
    mkdir -p "$dir"
    {
      for i in 0 1 2; do
        p=$((base + 10 * i))
        echo "nodes { id: $i peer_address: \"127.0.0.1:$p\" client_address: \"127.0.0.1:$((p + 1))\"" \
             "redis_address: \"127.0.0.1:$((p + 2))\" metrics_address: \"127.0.0.1:$((p + 3))\" }"
      done
      for s in $(seq 1 "$shards"); do echo "shards { id: $s replicas: 0 replicas: 1 replicas: 2 }"; done
    } > "$dir/cluster.txt"
    for i in 0 1 2; do
      if [ -f "$dir/node-$i.pid" ] && running "$(cat "$dir/node-$i.pid")"; then
        echo "node $i already running (pid $(cat "$dir/node-$i.pid"))"; continue
      fi
      "$kvnode" --node_id=$i --cluster="$dir/cluster.txt" --data_dir="$dir/data-$i" \
        --backend="$backend" "${node_flags[@]}" >> "$dir/node-$i.log" 2>&1 &
      echo $! > "$dir/node-$i.pid"
      echo "node $i: pid $! peer 127.0.0.1:$((base + 10 * i)) client :$((base + 10 * i + 1))" \
           "redis :$((base + 10 * i + 2)) metrics :$((base + 10 * i + 3)) log $dir/node-$i.log"
    done
    # Wait (bounded) until every shard has a leader.
    for _ in $(seq 1 100); do
      if "$kvctl" --cluster="$dir/cluster.txt" status 2>/dev/null | grep -c ' leader$' \
           | grep -qx "$shards"; then
        echo "cluster ready: $dir/cluster.txt"; exit 0
      fi
      sleep 0.1
    done
    echo "cluster.sh: no leader for every shard after 10 s; see $dir/node-*.log" >&2
    exit 1
    ;;
  stop)
    for i in 0 1 2; do
      [ -f "$dir/node-$i.pid" ] || continue
      pid=$(cat "$dir/node-$i.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
      running "$pid" && { echo "node $i did not stop; killing"; kill -KILL "$pid"; }
      rm -f "$dir/node-$i.pid"
    done
    echo "stopped"
    ;;
  status)
    "$kvctl" --cluster="$dir/cluster.txt" status
    ;;
  *)
    echo "usage: scripts/cluster.sh start|stop|status [--dir DIR] [--base-port P] [--backend B] [--shards N] [--node-flag FLAG]..." >&2
    exit 2
    ;;
esac
