#!/usr/bin/env bash
# The cost curve of partitions: each driver at a fixed rate on topics of
# 6, 100, 1,000 and 5,000 partitions (random keys, 512-byte messages, one
# producer, a group of 4, on the embedded broker), one fresh process per
# cell. Prints one Markdown row per cell: achieved msg/s, produce p99, e2e
# p99, peak RSS and CPU per message (user + system time of the whole process,
# the in-process broker included, over the messages produced), and the
# outcome (a refusal before load is exit 2). The load average is printed with
# each row: the machine's other work moves every figure but CPU per message
# the least.
#
#   scripts/scale.sh [RATE] [SECONDS] [PARTITIONS...]
#   scripts/scale.sh 20000 8 6 100 1000 5000      # the defaults
#   KBENCH_SCALE_DRIVERS=kafka-go scripts/scale.sh 20000 8 1000
#
# Needs GNU time (/usr/bin/time -v) for peak RSS and CPU time, and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-20000}
secs=${2:-8}
shift $(($# < 2 ? $# : 2))
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(6 100 1000 5000)
drivers=${KBENCH_SCALE_DRIVERS:-kafka-go franz-go}
[ -x /usr/bin/time ] || { echo "scale.sh: needs GNU time at /usr/bin/time" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/kbench" ./cmd/kbench

cat >"$tmp/scale.yaml" <<'YAML'
name: scale
seed: 1
topic: {partitions: 6}
drain: 20s
workload:
  message: {size: 512}
  keying: {strategy: random}
consumers:
  - {group: scale, instances: 4, commit: after-process, session_timeout: 20s, heartbeat_interval: 1s}
YAML

echo "| partitions | driver | achieved msg/s | produce p99 ms | e2e p99 ms | peak RSS MB | CPU µs/msg | consumed | lost | outcome | load avg |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
for p in "${parts[@]}"; do
  for d in $drivers; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    rc=0
    /usr/bin/time -v -o "$tmp/time.txt" "$tmp/kbench" run "$tmp/scale.yaml" --no-progress --format json \
      --rate "$rate" --duration "${secs}s" --set topic.partitions="$p" --set producer.driver="$d" \
      >"$tmp/out.json" 2>"$tmp/err.txt" || rc=$?
    python3 - "$p" "$d" "$rc" "$load" "$tmp/out.json" "$tmp/time.txt" "$tmp/err.txt" <<'PY'
import json, re, sys
p, d, rc, load, out, tim, err = sys.argv[1:]
t = open(tim).read()
def field(name):
    m = re.search(re.escape(name) + r"[^:]*:\s*([0-9.]+)", t)
    return float(m.group(1)) if m else None
cpu = (field("User time") or 0) + (field("System time") or 0)
rss = field("Maximum resident set size")
try:
    v = json.load(open(out))["variants"][0]
except Exception:
    v = None
def fmt(x, f="{:,.0f}"):
    return "-" if x is None else f.format(x)
errline = next((l.strip() for l in open(err) if l.startswith("kbench:")), "")
outcome = {"0": "ok", "2": "refused before load (exit 2)"}.get(rc, "exit " + rc)
if errline and rc != "0":
    outcome += ": " + errline[len("kbench: "):][:90]
if v is None:
    print(f"| {p} | {d} | - | - | - | {fmt(rss and rss/1024)} | - | - | - | {outcome} | {load} |")
    sys.exit(0)
pr = v["produce"]
n = pr.get("messages") or 0
groups = v.get("consume", {}).get("groups") or [{}]
g = groups[0]
e2e = (v.get("e2e") or {}).get("latency_ms") or {}
lost = (g.get("delivery") or {}).get("lost")
print("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
    p, d, fmt(pr["throughput"].get("msgs_per_s")), fmt(pr.get("latency_ms", {}).get("p99"), "{:,.1f}"),
    fmt(e2e.get("p99"), "{:,.1f}"), fmt(rss and rss / 1024), fmt(cpu * 1e6 / n if n else None),
    fmt(g.get("messages")), fmt(lost), outcome, load))
PY
  done
done
