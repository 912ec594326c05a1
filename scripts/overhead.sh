#!/usr/bin/env bash
# Producer overhead: unthrottled `kbench run` against a bare kafka-go async
# Writer loop with the same settings (100-byte messages, acks=all, 6
# partitions, batch 1000, linger 5ms, 100000 messages in flight), each against
# a fresh `kbench broker` (the broker keeps everything in memory), alternating
# which goes first. Prints every round, the means and their ratio (target >= 0.8).
#
#   scripts/overhead.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
port=${KBENCH_OVERHEAD_PORT:-19092}
tmp=$(mktemp -d)
broker_pid=
trap 'stop_broker; rm -rf "$tmp"' EXIT

go build -o "$tmp/kbench" ./cmd/kbench
go build -o "$tmp/barewriter" ./scripts/barewriter

start_broker() {
  "$tmp/kbench" broker --listen 127.0.0.1:$port --partitions 6 >/dev/null 2>&1 &
  broker_pid=$!
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && return; sleep 0.1; done
  echo "broker did not start" >&2; exit 1
}
stop_broker() {
  [ -n "$broker_pid" ] || return 0
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=
}

cat >"$tmp/overhead.yaml" <<'YAML'
name: overhead
topic: {partitions: 6}
workload:
  rate: 0
  message: {size: 100}
  keying: {strategy: service}
producer: {instances: 1, batch_size: 1000, linger: 5ms, acks: all, max_in_flight: 100000}
consumers: []
YAML

run_kbench() {
  start_broker
  "$tmp/kbench" run "$tmp/overhead.yaml" --brokers 127.0.0.1:$port --no-progress --format json \
    --duration "${secs}s" >"$tmp/kb.json" 2>"$tmp/kb.err" || { cat "$tmp/kb.err" >&2; exit 1; }
  stop_broker
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(int(r["variants"][0]["produce"]["throughput"]["msgs_per_s"]))' "$tmp/kb.json"
}
run_bare() {
  start_broker
  "$tmp/barewriter" -brokers 127.0.0.1:$port -topic bare -size 100 -duration "${secs}s" | cut -d. -f1
  stop_broker
}

kb_total=0; bw_total=0
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then kb=$(run_kbench); bw=$(run_bare); else bw=$(run_bare); kb=$(run_kbench); fi
  echo "round $r: kbench ${kb} msg/s, bare kafka-go ${bw} msg/s"
  kb_total=$((kb_total + kb)); bw_total=$((bw_total + bw))
done
python3 -c "import sys; k,b=int(sys.argv[1]),int(sys.argv[2]); print(f'mean: kbench {k} msg/s, bare {b} msg/s, ratio {k/b:.2f}')" $((kb_total / rounds)) $((bw_total / rounds))
