#!/usr/bin/env bash
# Two kbench builds against each other on the producer hot path: the
# unthrottled run of overhead.sh (100-byte keyed messages, acks=all, 6
# partitions, linger 5ms), a fresh `kbench broker` per measurement, the
# builds alternating. Per round and build it prints the throughput and the
# CPU per message of the kbench process (user+system over the whole run,
# start-up included) and of the broker; then the median throughput of each.
# On a shared 2-core machine throughput swings ±20% between rounds while
# CPU per message moves far less: compare both, over several rounds.
#
#   scripts/compare-builds.sh OLD_BIN NEW_BIN [SECONDS] [ROUNDS] [DRIVER]
#   go build -o /tmp/old ./cmd/kbench && git stash && go build -o /tmp/new ./cmd/kbench
#   scripts/compare-builds.sh /tmp/old /tmp/new 5 6 franz-go
#
# Needs GNU time (/usr/bin/time) and python3. The broker is the first
# build's `kbench broker`, so both builds are measured against the same one.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
old=$1 new=$2
secs=${3:-5}
rounds=${4:-6}
drv=${5:-franz-go}
port=${KBENCH_COMPARE_PORT:-19093}
for b in "$old" "$new"; do [ -x "$b" ] || { echo "compare-builds: $b is not an executable" >&2; exit 2; }; done
case $drv in kafka-go | franz-go) ;; *) echo "compare-builds: driver $drv: want kafka-go or franz-go" >&2; exit 2 ;; esac
tmp=$(mktemp -d)
broker_pid=
trap 'stop_broker; rm -rf "$tmp"' EXIT
cp "$old" "$tmp/kbench" # the broker (scripts/lib/broker.sh runs $tmp/kbench)

# shellcheck source=lib/broker.sh
. scripts/lib/broker.sh

# shellcheck source=lib/unthrottled.sh
. scripts/lib/unthrottled.sh
unthrottled_yaml compare "$drv" 1 >"$tmp/run.yaml"

# broker_cpu: seconds of CPU the running broker used (utime+stime).
broker_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$broker_pid/stat"; }

measure() { # bin: writes "msgs_per_s client_us broker_us" to $tmp/result
  start_broker
  /usr/bin/time -f "%U %S" -o "$tmp/time" "$1" run "$tmp/run.yaml" --brokers 127.0.0.1:$port \
    --no-progress --format json --duration "${secs}s" >"$tmp/out.json" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  local b; b=$(broker_cpu)
  stop_broker
  python3 - "$tmp/out.json" "$tmp/time" "$b" >"$tmp/result" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["variants"][0]["produce"]
n = p["messages"]
u, s = map(float, open(sys.argv[2]).read().split()[-2:])
print(int(p["throughput"]["msgs_per_s"]), f"{(u + s) / n * 1e6:.3f}", f"{float(sys.argv[3]) / n * 1e6:.3f}")
PY
}

olds=(); news=()
for r in $(seq 1 "$rounds"); do
  order=(old new); [ $((r % 2)) -eq 0 ] && order=(new old)
  for w in "${order[@]}"; do
    bin=$old; [ "$w" = new ] && bin=$new
    measure "$bin"
    read -r rate cl br <"$tmp/result"
    echo "round $r $w: $rate msg/s, kbench $cl µs/msg, broker $br µs/msg"
    if [ "$w" = old ]; then olds+=("$rate"); else news+=("$rate"); fi
  done
done
python3 - "${#olds[@]}" "${olds[@]}" "${news[@]}" <<'PY'
import statistics, sys
k = int(sys.argv[1]); o = list(map(int, sys.argv[2:2 + k])); n = list(map(int, sys.argv[2 + k:]))
mo, mn = statistics.median(o), statistics.median(n)
print(f"median: old {mo:.0f} msg/s, new {mn:.0f} msg/s, new/old {mn / mo:.2f}")
PY
