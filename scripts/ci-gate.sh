#!/usr/bin/env bash
# ci-gate.sh — run a kbench experiment as a CI performance gate.
#
#   scripts/ci-gate.sh EXPERIMENT [BASELINE.json] [-- extra kbench run flags...]
#
# Runs `kbench run EXPERIMENT --out $KBENCH_OUT` (gates from the experiment
# file), compares with BASELINE.json when it exists (--baseline, tolerance
# from $KBENCH_TOLERANCE, default 10%), writes the Markdown summary to
# $GITHUB_STEP_SUMMARY when set (and to $KBENCH_OUT/summary.md), and exits
# with kbench's code: 0 passed, 1 runtime error, 2 configuration error,
# 3 a gate failed or a figure regressed.
#
# Environment:
#   KBENCH            command to run kbench (default: kbench on PATH, else go run ./cmd/kbench)
#   KBENCH_OUT        output directory (default: kbench-results)
#   KBENCH_TOLERANCE  regression tolerance(s), comma-separated (default: 10%)
set -uo pipefail

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
experiment=$1
shift
baseline=""
if [[ $# -gt 0 && "$1" != "--" ]]; then
  baseline=$1
  shift
fi
[[ $# -gt 0 && "$1" == "--" ]] && shift

out=${KBENCH_OUT:-kbench-results}
tolerance=${KBENCH_TOLERANCE:-10%}
if [[ -n "${KBENCH:-}" ]]; then
  read -r -a kbench <<<"$KBENCH"
elif command -v kbench >/dev/null 2>&1; then
  kbench=(kbench)
else
  kbench=(go run ./cmd/kbench)
fi

args=(run "$experiment" --out "$out")
if [[ -n "$baseline" ]]; then
  if [[ -f "$baseline" ]]; then
    args+=(--baseline "$baseline")
    IFS=',' read -r -a tols <<<"$tolerance"
    for t in "${tols[@]}"; do args+=(--tolerance "$t"); done
  else
    echo "ci-gate: baseline $baseline not found; running the gates without a comparison" >&2
  fi
fi

mkdir -p "$out"
echo "ci-gate: ${kbench[*]} ${args[*]} $*" >&2
"${kbench[@]}" "${args[@]}" "$@"
code=$?

# The summary is rendered from the stored result, so it is written whatever
# the verdict (and for an interrupted run's partial result).
if [[ -f "$out/result.json" ]]; then
  if "${kbench[@]}" report "$out/result.json" --format markdown -o "$out/summary.md"; then
    if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
      cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
    fi
  fi
  "${kbench[@]}" report "$out/result.json" --format html -o "$out/report.html" || true
elif [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  printf '## ❌ kbench: %s\n\nNo result was written (exit code %d); see the job log.\n' "$experiment" "$code" >>"$GITHUB_STEP_SUMMARY"
fi

case $code in
  0) echo "ci-gate: passed" >&2 ;;
  3) echo "ci-gate: FAILED: a gate failed or a figure regressed beyond tolerance" >&2 ;;
  2) echo "ci-gate: configuration error" >&2 ;;
  *) echo "ci-gate: kbench failed (exit $code)" >&2 ;;
esac
exit "$code"
