#!/usr/bin/env bash
# Memory soak: a long constant-rate run on the embedded broker (random keys,
# so every key sketch is exercised) while sampling the process's resident
# memory every 10 s. Memory must level off, not grow with the run's length:
# histograms are fixed-size, delivery tracking uses interval sets, hot keys a
# bounded sketch, and the embedded broker is trimmed of consumed records.
#
#   scripts/soak.sh [SECONDS] [RATE]      (default 600 s at 10000 msg/s)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
rate=${2:-10000}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/kbench" ./cmd/kbench
cat >"$tmp/soak.yaml" <<YAML
name: soak
duration: ${secs}s
topic: {partitions: 6}
workload: {rate: ${rate}, message: {size: 512}, keying: {strategy: random}}
consumers:
  - {group: soak, instances: 2}
YAML
"$tmp/kbench" run "$tmp/soak.yaml" --no-progress --format json >"$tmp/result.json" 2>"$tmp/err" &
pid=$!
samples=()
while kill -0 "$pid" 2>/dev/null; do
  sleep 10
  rss=$(awk '/VmRSS/{print int($2/1024)}' /proc/$pid/status 2>/dev/null || true)
  [ -n "$rss" ] && { samples+=("$rss"); echo "t=$(( ${#samples[@]} * 10 ))s rss=${rss}MiB"; }
done
wait "$pid" || { cat "$tmp/err"; exit 1; }
python3 - "$tmp/result.json" "${samples[@]}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); v = r["variants"][0]
s = [int(x) for x in sys.argv[2:]]
half = len(s) // 2
print(f"messages {v['produce']['messages']}, lost {v['delivery']['lost']}, complete {r['complete']}")
if s:
    print(f"rss MiB: first half max {max(s[:half] or s)}, second half max {max(s[half:])}, overall max {max(s)}")
PY
