#!/usr/bin/env bash
# gate-noise.sh — does the CI gate cry wolf, and does it catch real
# regressions? On this machine, with one build:
#
#   1. a baseline: EXPERIMENT --repeat N (default: quickstart's path variant,
#      3 s, 5 runs);
#   2. SELF times the same run compared with the baseline: every comparison
#      should pass (exit 0);
#   3. FAULT times the same run with a produce-latency fault of 10 ms on
#      every request: every comparison should fail (exit 3) on produce
#      latency;
#   4. CAP times the same run with the rate capped 25% lower: every
#      comparison should fail on throughput;
#   5. the last self runs as a --history baseline for one more self run, and
#      two single runs compared with each other (floors only).
#
#   scripts/gate-noise.sh [SELF] [FAULT] [CAP]      (default 10 10 3)
#
# Environment: KBENCH_REPEAT (5), KBENCH_DURATION (3s), KBENCH_EXPERIMENT
# (quickstart), KBENCH_ONLY (strategy=path), KBENCH_RATE (5000, the
# experiment's rate; the cap is 75% of it), KBENCH_KEEP=DIR keeps the
# results there. The runs are CPU-heavy: run nothing else meanwhile.
set -uo pipefail
cd "$(dirname "$0")/.."
self=${1:-10}
fault=${2:-10}
cap=${3:-3}
repeat=${KBENCH_REPEAT:-5}
duration=${KBENCH_DURATION:-3s}
experiment=${KBENCH_EXPERIMENT:-quickstart}
only=${KBENCH_ONLY:-strategy=path}
rate=${KBENCH_RATE:-5000}
dir=${KBENCH_KEEP:-$(mktemp -d)}
mkdir -p "$dir"
go build -o "$dir/kbench" ./cmd/kbench || exit 1
kb="$dir/kbench"

run() { # run OUT [extra flags...]
  local out=$1
  shift
  "$kb" run "$experiment" --only "$only" --duration "$duration" --repeat "$repeat" \
    --no-progress --out "$out" "$@" >/dev/null 2>"$out.log"
  local code=$?
  if [[ $code -ne 0 ]]; then
    echo "run $out failed (exit $code); see $out.log" >&2
    exit 1
  fi
}

compare() { # compare BASE CUR -> prints the exit code; text kept in CUR.cmp
  "$kb" compare "$1/result.json" "$2/result.json" >"$2.cmp" 2>&1
  echo $?
}

echo "baseline: $experiment --only $only --duration $duration --repeat $repeat" >&2
run "$dir/base"

count() { # count LABEL N EXTRA... : runs and compares N times
  local label=$1 n=$2 pattern=$3
  shift 3
  local passed=0 flagged=0 hit=0
  for i in $(seq "$n"); do
    run "$dir/$label-$i" "$@"
    code=$(compare "$dir/base" "$dir/$label-$i")
    case $code in
      0) passed=$((passed + 1)) ;;
      3) flagged=$((flagged + 1))
         if grep -Eq "$pattern" "$dir/$label-$i.cmp"; then hit=$((hit + 1)); fi ;;
      *) echo "compare failed (exit $code): $dir/$label-$i.cmp" >&2; exit 1 ;;
    esac
    echo "$label $i: exit $code; $(grep -c 'REGRESSED$' "$dir/$label-$i.cmp") figure(s) regressed, $(grep -c '  ~$' "$dir/$label-$i.cmp") ~" >&2
  done
  printf '%-6s %3d runs: %3d passed, %3d flagged (%d on %s)\n' "$label" "$n" "$passed" "$flagged" "$hit" "$pattern"
}

count self "$self" 'REGRESSED$'
count fault "$fault" 'latency p(50|99) ms.*REGRESSED' --set "faults=[{at: 0s, kind: produce-latency, latency: 10ms}]"
count cap "$cap" 'throughput msg/s.*REGRESSED' --rate "$((rate * 3 / 4))"

# History: the self runs as the stored results of past CI jobs.
mkdir -p "$dir/history"
for i in $(seq "$self"); do cp "$dir/self-$i/result.json" "$dir/history/self-$i.json"; done
run "$dir/new"
"$kb" compare --history "$dir/history" "$dir/new/result.json" >"$dir/new.cmp" 2>&1
echo "history: exit $? (last 5 of $self stored results as the baseline)"

# Single runs, as in the report that prompted the floors.
repeat=1 run "$dir/single-a"
repeat=1 run "$dir/single-b"
"$kb" compare "$dir/single-a/result.json" "$dir/single-b/result.json" >"$dir/single.cmp" 2>&1
echo "single runs: exit $?, $(grep -c 'REGRESSED$' "$dir/single.cmp") gated figure(s) regressed, $(grep -c 'worse (not gated)' "$dir/single.cmp") worse but not gated"
echo "results and comparisons in $dir" >&2
