#!/usr/bin/env bash
# fuzz-smoke.sh — fuzz every kbench input parser briefly (a few seconds
# each), so a change that makes hostile input panic or hang fails CI.
#
#   scripts/fuzz-smoke.sh            # every target
#   scripts/fuzz-smoke.sh FuzzLoad   # one target
#
# Each target runs a fixed number of inputs (-fuzztime Nx) rather than a
# fixed time: a time limit trips a race in Go's fuzzing coordinator
# (golang/go#75804, fixed in Go 1.27) that fails the run with "context
# deadline exceeded" and no failing input. A failing input is written to
# the package's testdata/fuzz/TARGET/ and then runs with every `go test`.
# The seed corpora live beside it.
#
# Environment: FUZZ_SCALE multiplies the input counts (default 1; e.g. 20
# for a longer local session).
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${FUZZ_SCALE:-1}
targets=(
  "./workloads FuzzLoad 3000"
  "./workloads FuzzSet 5000"
  "./report/verdict FuzzParseGate 20000"
  "./report/render FuzzReadResult 3000"
  "./report/recorder FuzzParseHGRM 10000"
  "./internal/wire FuzzParse 20000"
  "./internal/keysource FuzzReader 10000"
)
only=${1:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
ran=0
for t in "${targets[@]}"; do
  read -r pkg name n <<<"$t"
  [[ -n "$only" && "$only" != "$name" ]] && continue
  start=$SECONDS
  go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$((n * scale))x" -fuzzminimizetime 20x -parallel 1 >"$log" 2>&1 || {
    cat "$log"
    echo "fuzz-smoke: $name failed" >&2
    exit 1
  }
  echo "fuzz-smoke: $name ok ($((n * scale)) inputs, $((SECONDS - start))s)"
  ran=$((ran + 1))
done
if [[ $ran -eq 0 ]]; then
  echo "fuzz-smoke: no target named $only" >&2
  exit 2
fi
