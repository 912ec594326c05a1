#!/usr/bin/env bash
# Producer overhead, for both drivers: unthrottled `kbench run` against a bare
# client loop with the same settings (100-byte keyed messages, acks=all, 6
# partitions, linger 5ms), each measurement against a fresh `kbench broker`
# (the broker keeps everything in memory), alternating which goes first.
#   kafka-go: scripts/barewriter, an async Writer (batch 1000, 100000
#             messages in flight);
#   franz-go: scripts/bareproducer, a kgo.Client Produce loop (manual
#             partitioner, MaxBufferedRecords 100000); kbench runs with
#             producer.driver: franz-go and batch_size 1563 (its buffer is
#             64 x batch_size, so also 100000 records).
# Prints every round, the medians and their ratio per driver (targets:
# kafka-go >= 0.9, franz-go >= 0.8). For franz-go it also measures the bare
# loop sending kbench's record layout: a 37-byte record header "kbench" on
# every record (one header shared by all: the cheapest way to send it) and
# a 57-byte value, the same bytes per record as kbench's 100-byte messages
# (message.size counts the header). That ratio separates what carrying a
# header costs (the client encodes it per record, the broker reads it)
# from what kbench's generator and bookkeeping cost.
#
#   scripts/overhead.sh [SECONDS] [ROUNDS] [DRIVERS]
#   scripts/overhead.sh 5 3 "kafka-go franz-go"
#
# KBENCH_BIN: use this kbench binary instead of building ./cmd/kbench (to
# measure another build against the same bare loops).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
drivers=${3:-kafka-go franz-go}
port=${KBENCH_OVERHEAD_PORT:-19092}
tmp=$(mktemp -d)
broker_pid=
trap 'stop_broker; rm -rf "$tmp"' EXIT

if [ -n "${KBENCH_BIN:-}" ]; then cp "$KBENCH_BIN" "$tmp/kbench"; else go build -o "$tmp/kbench" ./cmd/kbench; fi
go build -o "$tmp/barewriter" ./scripts/barewriter
go build -o "$tmp/bareproducer" ./scripts/bareproducer

# shellcheck source=lib/broker.sh
. scripts/lib/broker.sh

# shellcheck source=lib/unthrottled.sh
. scripts/lib/unthrottled.sh
for d in kafka-go franz-go; do
  unthrottled_yaml overhead "$d" 1 >"$tmp/$d.yaml"
done

run_kbench() { # driver
  start_broker
  "$tmp/kbench" run "$tmp/$1.yaml" --brokers 127.0.0.1:$port --no-progress --format json \
    --duration "${secs}s" >"$tmp/kb.json" 2>"$tmp/kb.err" || { cat "$tmp/kb.err" >&2; exit 1; }
  stop_broker
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(int(r["variants"][0]["produce"]["throughput"]["msgs_per_s"]))' "$tmp/kb.json"
}
run_bare() { # driver [header bytes]
  start_broker
  if [ "$1" = kafka-go ]; then
    "$tmp/barewriter" -brokers 127.0.0.1:$port -topic bare -size 100 -duration "${secs}s" | cut -d. -f1
  else
    # With a header, the value is what kbench's is: message.size counts the
    # header and its name ("kbench", 6 bytes), so every record carries the
    # same bytes as kbench's.
    hb=${2:-0}; size=100; [ "$hb" -gt 0 ] && size=$((100 - hb - 6))
    "$tmp/bareproducer" -brokers 127.0.0.1:$port -topic bare -size "$size" -duration "${secs}s" -header-bytes "$hb" | cut -d. -f1
  fi
  stop_broker
}

median() { python3 -c 'import statistics,sys; print(int(statistics.median(int(a) for a in sys.argv[1:])))' "$@"; }

summary=()
for d in $drivers; do
  kbs=(); bws=(); bhs=()
  for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then kb=$(run_kbench "$d"); bw=$(run_bare "$d"); else bw=$(run_bare "$d"); kb=$(run_kbench "$d"); fi
    if [ "$d" = franz-go ]; then
      bh=$(run_bare "$d" 37)
      echo "$d round $r: kbench ${kb} msg/s, bare ${bw} msg/s, bare with the kbench record layout ${bh} msg/s"
      bhs+=("$bh")
    else
      echo "$d round $r: kbench ${kb} msg/s, bare ${bw} msg/s"
    fi
    kbs+=("$kb"); bws+=("$bw")
  done
  k=$(median "${kbs[@]}"); b=$(median "${bws[@]}")
  summary+=("$(python3 -c "import sys; k,b=int(sys.argv[2]),int(sys.argv[3]); print(f'{sys.argv[1]} median: kbench {k} msg/s, bare {b} msg/s, ratio {k/b:.2f}')" "$d" "$k" "$b")")
  if [ "$d" = franz-go ]; then
    h=$(median "${bhs[@]}")
    summary+=("$(python3 -c "import sys; k,b=int(sys.argv[1]),int(sys.argv[2]); print(f'franz-go median against the kbench record layout: kbench {k} msg/s, bare {b} msg/s, ratio {k/b:.2f}')" "$k" "$h")")
  fi
done
printf '%s\n' "${summary[@]}"
