#!/usr/bin/env bash
# Scaling with instances on one host, for both drivers, against a
# `kbench broker` in its own process (so kbench's memory is the clients'):
#
#  1. throughput: unthrottled `kbench run` with producer.instances 1 and 4
#     (100-byte keyed messages, acks=all, 6 partitions, linger 5ms, no
#     consumers), a fresh broker per measurement, alternating which goes
#     first; every round, the medians and the ratio 4/1 (target >= 1: four
#     instances are not slower than one);
#  2. memory per instance: peak RSS of `kbench run` (GNU time) with 1, 2, 4
#     and 8 producer instances (paced at 4,000 msg/s in all, no consumers),
#     then 1, 2, 4 and 8 members of one group (8 partitions, one producer at
#     4,000 msg/s), and the least-squares slope in MiB per instance: what
#     one more producer or member costs, beside internal/resources'
#     estimate of the same runs (kbench validate).
#
#   scripts/instances.sh [SECONDS] [ROUNDS] [DRIVERS]
#   scripts/instances.sh 5 3 "kafka-go franz-go"
#   KBENCH_INSTANCES_PARTS=throughput scripts/instances.sh   # or memory
#
# Needs GNU time (/usr/bin/time -v) and python3. KBENCH_BIN: use this
# kbench binary instead of building ./cmd/kbench.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
drivers=${3:-kafka-go franz-go}
parts=${KBENCH_INSTANCES_PARTS:-throughput memory}
port=${KBENCH_OVERHEAD_PORT:-19094}
tmp=$(mktemp -d)
broker_pid=
trap 'stop_broker; rm -rf "$tmp"' EXIT
[ -x /usr/bin/time ] || { echo "instances.sh: needs GNU time at /usr/bin/time" >&2; exit 2; }

if [ -n "${KBENCH_BIN:-}" ]; then cp "$KBENCH_BIN" "$tmp/kbench"; else go build -o "$tmp/kbench" ./cmd/kbench; fi

# shellcheck source=lib/broker.sh
. scripts/lib/broker.sh
# shellcheck source=lib/unthrottled.sh
. scripts/lib/unthrottled.sh

# unthrottled DRIVER INSTANCES: one fresh-broker run, its acknowledged msg/s.
unthrottled() {
  unthrottled_yaml instances "$1" "$2" >"$tmp/u.yaml"
  start_broker
  "$tmp/kbench" run "$tmp/u.yaml" --brokers 127.0.0.1:$port --no-progress --format json \
    --duration "${secs}s" >"$tmp/u.json" 2>"$tmp/u.err" || { cat "$tmp/u.err" >&2; exit 1; }
  stop_broker
  python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["variants"][0]["produce"]["throughput"]["msgs_per_s"]))' "$tmp/u.json"
}

median() { python3 -c 'import statistics,sys; print(int(statistics.median(int(a) for a in sys.argv[1:])))' "$@"; }

# memory_run DRIVER PRODUCERS MEMBERS PARTITIONS: peak RSS (KiB) of one run,
# and the resource estimate's total (bytes) for the same file.
memory_run() {
  local groups="[]"
  [ "$3" -gt 0 ] && groups="[{group: g, instances: $3}]"
  cat >"$tmp/m.yaml" <<YAML
name: memory
cluster: {brokers: ["127.0.0.1:$port"]}
topic: {partitions: $4}
duration: ${secs}s
workload: {rate: 4000, message: {size: 100}, keying: {strategy: random}}
producer: {driver: $1, instances: $2}
consumers: $groups
YAML
  start_broker
  /usr/bin/time -v "$tmp/kbench" run "$tmp/m.yaml" --no-progress --format json \
    >"$tmp/m.json" 2>"$tmp/m.err" || { cat "$tmp/m.err" >&2; exit 1; }
  stop_broker
  local rss est
  rss=$(awk '/Maximum resident set size/ {print $NF}' "$tmp/m.err")
  est=$("$tmp/kbench" validate "$tmp/m.yaml" 2>&1 | grep -o 'memory ~[0-9.]* [KMG]iB' | head -1 || true)
  echo "$rss ${est:-?}"
}

slope() { # x=y pairs: least-squares slope of y (KiB) over x, in MiB
  python3 -c '
import sys
xs = [float(a.split("=")[0]) for a in sys.argv[1:]]
ys = [float(a.split("=")[1]) / 1024 for a in sys.argv[1:]]
n = len(xs); mx = sum(xs) / n; my = sum(ys) / n
print(f"{sum((x-mx)*(y-my) for x, y in zip(xs, ys)) / sum((x-mx)**2 for x in xs):.1f}")' "$@"
}

for d in $drivers; do
  case " $parts " in *" throughput "*)
    ones=(); fours=()
    for r in $(seq 1 "$rounds"); do
      if [ $((r % 2)) -eq 1 ]; then a=$(unthrottled "$d" 1); b=$(unthrottled "$d" 4); else b=$(unthrottled "$d" 4); a=$(unthrottled "$d" 1); fi
      echo "$d round $r: 1 instance ${a} msg/s, 4 instances ${b} msg/s"
      ones+=("$a"); fours+=("$b")
    done
    a=$(median "${ones[@]}"); b=$(median "${fours[@]}")
    python3 -c "import sys; a,b=int(sys.argv[2]),int(sys.argv[3]); print(f'{sys.argv[1]} median: 1 instance {a} msg/s, 4 instances {b} msg/s, ratio 4/1 {b/a:.2f}')" "$d" "$a" "$b"
  ;; esac
  case " $parts " in *" memory "*)
    pts=()
    for n in 1 2 4 8; do
      read -r rss est < <(memory_run "$d" "$n" 0 6)
      echo "$d $n producer(s): peak RSS $((rss / 1024)) MiB (estimate: $est)"
      pts+=("$n=$rss")
    done
    echo "$d per producer instance: $(slope "${pts[@]}") MiB"
    pts=()
    for n in 1 2 4 8; do
      read -r rss est < <(memory_run "$d" 1 "$n" 8)
      echo "$d $n group member(s): peak RSS $((rss / 1024)) MiB (estimate: $est)"
      pts+=("$n=$rss")
    done
    echo "$d per group member: $(slope "${pts[@]}") MiB"
  ;; esac
done
