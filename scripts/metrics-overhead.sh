#!/usr/bin/env bash
# Cost of watching a run live: unthrottled `kbench run` with no live view
# against the same run with --metrics-listen scraped every second (and its
# --events stream written), alternating which goes first, each against a
# fresh `kbench broker`. Prints every round, the means and their ratio
# (target: within 5%, ratio >= 0.95). With CONSUMERS=1 the experiment has a
# consumer group too, so the live e2e histogram is in the measurement.
#
#   scripts/metrics-overhead.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-4}
port=${KBENCH_OVERHEAD_PORT:-19092}
mport=${KBENCH_METRICS_PORT:-19464}
tmp=$(mktemp -d)
broker_pid=
scraper_pid=
trap 'stop_scraper; stop_broker; rm -rf "$tmp"' EXIT

go build -o "$tmp/kbench" ./cmd/kbench

# shellcheck source=lib/broker.sh
. scripts/lib/broker.sh
# A scraper like Prometheus: GET /metrics once a second, counting successes.
start_scraper() {
  : >"$tmp/scrapes"
  ( while sleep 1; do curl -sf -o /dev/null "http://127.0.0.1:$mport/metrics" && echo ok >>"$tmp/scrapes"; done ) &
  scraper_pid=$!
}
stop_scraper() {
  [ -n "$scraper_pid" ] || return 0
  kill "$scraper_pid" 2>/dev/null || true
  wait "$scraper_pid" 2>/dev/null || true
  scraper_pid=
}

consumers='[]'
if [ "${CONSUMERS:-0}" = 1 ]; then
  consumers='[{group: g, instances: 1}]'
fi
cat >"$tmp/exp.yaml" <<YAML
name: metrics-overhead
topic: {partitions: 6}
drain: 30s
workload:
  rate: 0
  message: {size: 100}
  keying: {strategy: service}
producer: {instances: 1, batch_size: 1000, linger: 5ms, acks: all, max_in_flight: 100000}
consumers: $consumers
YAML

# run [extra flags...]: prints the measured produce throughput (msg/s).
run() {
  start_broker
  "$tmp/kbench" run "$tmp/exp.yaml" --brokers 127.0.0.1:$port --no-progress --format json \
    --duration "${secs}s" "$@" >"$tmp/kb.json" 2>"$tmp/kb.err" || { cat "$tmp/kb.err" >&2; exit 1; }
  stop_broker
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(int(r["variants"][0]["produce"]["throughput"]["msgs_per_s"]))' "$tmp/kb.json"
}
run_plain() { run; }
run_watched() {
  start_scraper
  run --metrics-listen 127.0.0.1:$mport --events "$tmp/events.jsonl"
  stop_scraper
  [ -s "$tmp/scrapes" ] || { echo "no scrape succeeded" >&2; exit 1; }
}

off_total=0; on_total=0
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then off=$(run_plain); on=$(run_watched); else on=$(run_watched); off=$(run_plain); fi
  echo "round $r: plain ${off} msg/s, scraped every 1s ${on} msg/s ($(wc -l <"$tmp/scrapes") scrapes, $(wc -l <"$tmp/events.jsonl") events)"
  off_total=$((off_total + off)); on_total=$((on_total + on))
done
python3 -c "import sys; a,b=int(sys.argv[1]),int(sys.argv[2]); print(f'mean: plain {a} msg/s, scraped {b} msg/s, ratio {b/a:.3f}')" $((off_total / rounds)) $((on_total / rounds))
