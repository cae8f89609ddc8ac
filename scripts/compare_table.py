#!/usr/bin/env python3
"""Prints the comparison table of scripts/compare.sh from its results
directory (kvbench JSON files, redis-benchmark lines, rss.txt), so a run can
be re-tabulated: python3 scripts/compare_table.py DIR"""
import glob, json, os, sys
out = sys.argv[1]
targets = [t for t in ["kv-epoll", "kv-uring", "redis-nopersist", "redis-aof-always"]
           if glob.glob(os.path.join(out, t + ".*"))]
def load(t, w):
    try:
        with open(os.path.join(out, f"{t}.{w}.json")) as f: return json.load(f)
    except (OSError, ValueError): return None
def cell(j, op, what):
    if j is None or op not in j["ops"]: return None
    o = j["ops"][op]
    return o["ops_per_second"] if what == "rate" else o["latency_ns"][what] / 1e6
rows = [("PUT 50 clients", "put50", "put"), ("GET 50 clients", "get50", "get"),
        ("70/30 50 clients", "mix50", "all"), ("PUT 1 client", "put1", "put")]
kv = "kv-epoll" if "kv-epoll" in targets else (targets[0] if targets else None)
def fmt(v, rate):
    if v is None: return "-"
    return f"{v:,.0f}" if rate else f"{v:.2f}"
header = ["workload", "metric"] + targets + [f"{kv}/redis-aof", f"{kv}/redis"]
lines = []
for label, w, op in rows:
    for what, name in [("rate", "ops/s"), ("p50", "p50 ms"), ("p99", "p99 ms")]:
        vals = {t: cell(load(t, w), op, what) for t in targets}
        def ratio(other):
            a, b = vals.get(kv), vals.get(other)
            return f"{a / b:.2f}" if a is not None and b else "-"
        lines.append([label, name] + [fmt(vals[t], what == "rate") for t in targets]
                     + [ratio("redis-aof-always"), ratio("redis-nopersist")])
# redis-benchmark lines: "SET: 5316.31 requests per second, p50=9.015 msec"
for test in ["SET", "GET"]:
    vals = {}
    for t in targets:
        try:
            for line in open(os.path.join(out, f"{t}.redis-benchmark.txt")):
                if line.startswith(test + ":") and "requests per second" in line:
                    vals[t] = float(line.split()[1])
        except OSError: pass
    def ratio(other):
        a, b = vals.get(kv), vals.get(other)
        return f"{a / b:.2f}" if a and b else "-"
    lines.append([f"redis-benchmark {test}", "req/s"] + [fmt(vals.get(t), True) for t in targets]
                 + [ratio("redis-aof-always"), ratio("redis-nopersist")])
# CPU seconds of the servers per workload, summed over processes.
for label, w, op in rows:
    vals = {}
    for t in targets:
        j = load(t, w)
        if j: vals[t] = sum(s.get("cpu_seconds", 0) for s in j["servers"])
    lines.append([label, "server cpu s"] + [f"{vals[t]:.2f}" if t in vals else "-" for t in targets] + ["", ""])
# RSS per process, MiB.
rss = {}
for line in open(os.path.join(out, "rss.txt")):
    t, phase, i, kib, hwm = line.split()
    rss.setdefault((t, phase), []).append((int(kib) / 1024, int(hwm) / 1024))
for phase in ["idle", "loaded"]:
    vals = {t: rss.get((t, phase)) for t in targets}
    lines.append([f"RSS {phase} per process", "MiB"] +
                 ["/".join(f"{r:.0f}" for r, _ in vals[t]) if vals[t] else "-" for t in targets] + ["", ""])
vals = {t: rss.get((t, "loaded")) for t in targets}
lines.append(["RSS peak per process", "MiB"] +
             ["/".join(f"{h:.0f}" for _, h in vals[t]) if vals[t] else "-" for t in targets] + ["", ""])
widths = [max(len(str(r[i])) for r in [header] + lines) for i in range(len(header))]
def row(r): return "| " + " | ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)) + " |"
print()
print(row(header))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for l in lines: print(row(l))
