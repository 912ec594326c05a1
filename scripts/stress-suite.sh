#!/usr/bin/env bash
# stress-suite.sh — the test suite must hold on a busy machine: run
# `go test ./...` several times in a row (default 5) while CPU-heavy jobs
# (default one per core) run beside it. Stops at the first failing run.
#
#   scripts/stress-suite.sh
#   RUNS=2 HOGS=1 scripts/stress-suite.sh
#
# Environment:
#   RUNS   how many times to run the suite (default 5)
#   HOGS   how many busy loops to run beside it (default: the number of cores)
#   GOTEST extra `go test` flags (default: -count=1, so nothing is cached)
# Exit code: 0 when every run passed, the failing run's code otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-5}
hogs=${HOGS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
flags=${GOTEST:--count=1}

pids=()
stop_hogs() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

for ((i = 0; i < hogs; i++)); do
  ( while :; do :; done ) &
  pids+=($!)
done
echo "stress-suite: $hogs CPU hog(s) running; go test $flags ./... x $runs"

for ((r = 1; r <= runs; r++)); do
  start=$SECONDS
  # shellcheck disable=SC2086
  go test $flags ./...
  code=$?
  if [[ $code -ne 0 ]]; then
    echo "stress-suite: run $r of $runs FAILED (exit $code) after $((SECONDS - start))s"
    exit "$code"
  fi
  echo "stress-suite: run $r of $runs passed in $((SECONDS - start))s"
done
echo "stress-suite: all $runs runs passed beside $hogs CPU hog(s)"
