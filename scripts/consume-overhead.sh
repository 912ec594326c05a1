#!/usr/bin/env bash
# Consumer overhead, for both drivers: a consume-only `kbench run` (one
# group of one member, no processing delay, the default after-process
# commits) against a bare consumer loop of the same client with the same
# settings (scripts/bareconsumer), both reading the same pre-filled topic.
# Each round starts a fresh `kbench broker` (never trimmed, so both read the
# same records), fills topic `pre` with MESSAGES 100-byte keyed messages
# over its 6 partitions (kcat, one producer per partition), then runs kbench
# and the bare loop, alternating which goes first, each with a fresh group.
# Both figures are messages per second from the first message received to
# the last: kbench's consume.groups[0].msgs_per_s and the bare loop's output.
# Prints every round, the medians and their ratio per driver (target >= 0.8).
#
#   scripts/consume-overhead.sh [MESSAGES] [ROUNDS] [DRIVERS]
#   scripts/consume-overhead.sh 3000000 3 "franz-go kafka-go"
#
# Needs kcat. KBENCH_BIN: use this kbench binary instead of building
# ./cmd/kbench. KBENCH_CPUPROFILE=DIR: write kbench's CPU profile of every
# run there (kbench run --cpuprofile).
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-3000000}
rounds=${2:-3}
drivers=${3:-franz-go kafka-go}
port=${KBENCH_OVERHEAD_PORT:-19093}
parts=6
tmp=$(mktemp -d)
broker_pid=
trap 'stop_broker; rm -rf "$tmp"' EXIT

command -v kcat >/dev/null || { echo "consume-overhead.sh: needs kcat" >&2; exit 2; }
if [ -n "${KBENCH_BIN:-}" ]; then cp "$KBENCH_BIN" "$tmp/kbench"; else go build -o "$tmp/kbench" ./cmd/kbench; fi
go build -o "$tmp/bareconsumer" ./scripts/bareconsumer

# One partition's share of the fill: the six service keys in turn, a
# 100-byte value, "key:value" per line for kcat -K:.
python3 - "$tmp/fill.txt" $((messages / parts)) <<'PY'
import sys
keys = ["order", "user", "payment", "auth", "inventory", "search"]
value = "v" * 100
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(keys[i % len(keys)] + ":" + value + "\n")
PY
total=$(( (messages / parts) * parts ))

# shellcheck source=lib/broker.sh
. scripts/lib/broker.sh
fill() {
  local pids=()
  for p in $(seq 0 $((parts - 1))); do
    kcat -P -b 127.0.0.1:$port -t pre -K: -p "$p" -l "$tmp/fill.txt" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}

for d in kafka-go franz-go; do
  cat >"$tmp/$d.yaml" <<YAML
name: consume-overhead
topic: {existing: pre}
warmup: 0s
duration: 1s
drain: 120s
producer: {driver: $d}
consumers:
  - {group: overhead, instances: 1}
YAML
done

run_kbench() { # driver round
  local prof=()
  [ -n "${KBENCH_CPUPROFILE:-}" ] && prof=(--cpuprofile "$KBENCH_CPUPROFILE/consume-$1-$2.pprof")
  "$tmp/kbench" run "$tmp/$1.yaml" --brokers 127.0.0.1:$port --no-progress --format json "${prof[@]}" \
    >"$tmp/kb.json" 2>"$tmp/kb.err" || { cat "$tmp/kb.err" >&2; exit 1; }
  python3 - "$tmp/kb.json" "$total" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["variants"][0]["consume"]["groups"][0]
if g["messages"] != int(sys.argv[2]) or g["msgs_per_s"] is None:
    sys.exit(f"kbench consumed {g['messages']} of {sys.argv[2]} messages (msgs_per_s {g['msgs_per_s']})")
print(int(g["msgs_per_s"]))
PY
}
run_bare() { # driver
  "$tmp/bareconsumer" -driver "$1" -brokers 127.0.0.1:$port -topic pre -group bare -messages "$total"
}

median() { python3 -c 'import statistics,sys; print(int(statistics.median(int(a) for a in sys.argv[1:])))' "$@"; }

summary=()
for d in $drivers; do
  kbs=(); bcs=()
  for r in $(seq 1 "$rounds"); do
    start_broker $parts --trim-every 0
    fill
    if [ $((r % 2)) -eq 1 ]; then kb=$(run_kbench "$d" "$r"); bc=$(run_bare "$d"); else bc=$(run_bare "$d"); kb=$(run_kbench "$d" "$r"); fi
    stop_broker
    echo "$d round $r: kbench ${kb} msg/s, bare ${bc} msg/s"
    kbs+=("$kb"); bcs+=("$bc")
  done
  k=$(median "${kbs[@]}"); b=$(median "${bcs[@]}")
  summary+=("$(python3 -c "import sys; k,b=int(sys.argv[2]),int(sys.argv[3]); print(f'{sys.argv[1]} median: kbench {k} msg/s, bare {b} msg/s, ratio {k/b:.2f}')" "$d" "$k" "$b")")
done
printf '%s\n' "${summary[@]}"
