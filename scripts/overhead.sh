#!/usr/bin/env bash
# Producer overhead: unthrottled `kbench run` against a bare kafka-go async
# Writer loop with the same settings (100-byte messages, acks=all, 6
# partitions, batch 1000, linger 5ms), both against one `kbench broker`,
# measured in the same run. Prints both rates and their ratio (target >= 0.8).
#
#   scripts/overhead.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
port=${KBENCH_OVERHEAD_PORT:-19092}
tmp=$(mktemp -d)
trap 'kill $broker_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/kbench" ./cmd/kbench
go build -o "$tmp/barewriter" ./scripts/barewriter
"$tmp/kbench" broker --listen 127.0.0.1:$port --partitions 6 >/dev/null &
broker_pid=$!
sleep 1

cat >"$tmp/overhead.yaml" <<'YAML'
name: overhead
topic: {partitions: 6}
workload:
  rate: 0
  message: {size: 100}
  keying: {strategy: service}
producer: {instances: 1, batch_size: 1000, linger: 5ms, acks: all}
consumers: []
YAML

kb_total=0; bw_total=0
for r in $(seq 1 "$rounds"); do
  "$tmp/kbench" run "$tmp/overhead.yaml" --brokers 127.0.0.1:$port --no-progress --format json \
    --duration "${secs}s" >"$tmp/kb.json" 2>"$tmp/kb.err" || { cat "$tmp/kb.err"; exit 1; }
  kb=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(int(r["variants"][0]["produce"]["throughput"]["msgs_per_s"]))' "$tmp/kb.json")
  bw=$("$tmp/barewriter" -brokers 127.0.0.1:$port -topic "bare-$r" -size 100 -duration "${secs}s")
  echo "round $r: kbench ${kb} msg/s, bare kafka-go ${bw} msg/s"
  kb_total=$((kb_total + kb)); bw_total=$((bw_total + ${bw%.*}))
done
python3 -c "import sys; k,b=int(sys.argv[1]),int(sys.argv[2]); print(f'mean: kbench {k} msg/s, bare {b} msg/s, ratio {k/b:.2f}')" $((kb_total / rounds)) $((bw_total / rounds))
