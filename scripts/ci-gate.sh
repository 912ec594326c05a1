#!/usr/bin/env bash
# ci-gate.sh — run a kbench experiment as a CI performance gate.
#
#   scripts/ci-gate.sh EXPERIMENT [BASELINE.json|HISTORY_DIR] [-- extra kbench run flags...]
#
# Runs `kbench run EXPERIMENT --repeat $KBENCH_REPEAT --out $KBENCH_OUT`
# (gates from the experiment file), then compares with the baseline when it
# exists: a result file (--baseline), or a directory of earlier results
# (`kbench compare --history DIR`: the median of the last 5 results of the
# experiment there), tolerance from $KBENCH_TOLERANCE (default 10%). Repeated
# runs are compared with a significance test ('~' = not significant); see
# docs/compare.md. Writes the Markdown summary to $GITHUB_STEP_SUMMARY when
# set (and to $KBENCH_OUT/summary.md), and exits with kbench's code:
# 0 passed, 1 runtime error, 2 configuration error, 3 a gate failed or a
# figure regressed.
#
# Environment:
#   KBENCH            command to run kbench (default: kbench on PATH, else go run ./cmd/kbench)
#   KBENCH_OUT        output directory (default: kbench-results)
#   KBENCH_REPEAT     runs per variant (default: 5, the least that gives the test its power)
#   KBENCH_TOLERANCE  regression tolerance(s), comma-separated (default: 10%)
set -uo pipefail

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
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
repeat=${KBENCH_REPEAT:-5}
if [[ -n "${KBENCH:-}" ]]; then
  read -r -a kbench <<<"$KBENCH"
elif command -v kbench >/dev/null 2>&1; then
  kbench=(kbench)
else
  kbench=(go run ./cmd/kbench)
fi

args=(run "$experiment" --out "$out" --repeat "$repeat")
IFS=',' read -r -a tols <<<"$tolerance"
tolargs=()
for t in "${tols[@]}"; do tolargs+=(--tolerance "$t"); done
history=""
if [[ -n "$baseline" ]]; then
  if [[ -d "$baseline" ]]; then
    history=$baseline
  elif [[ -f "$baseline" ]]; then
    args+=(--baseline "$baseline" "${tolargs[@]}")
  else
    echo "ci-gate: baseline $baseline not found; running the gates without a comparison" >&2
  fi
fi

mkdir -p "$out"
echo "ci-gate: ${kbench[*]} ${args[*]} $*" >&2
"${kbench[@]}" "${args[@]}" "$@"
code=$?
if [[ -n "$history" && -f "$out/result.json" && ( $code -eq 0 || $code -eq 3 ) ]]; then
  echo "ci-gate: ${kbench[*]} compare --history $history $out/result.json ${tolargs[*]}" >&2
  "${kbench[@]}" compare --history "$history" "$out/result.json" "${tolargs[@]}" -o "$out/compare.txt"
  ccode=$?
  cat "$out/compare.txt" >&2
  "${kbench[@]}" compare --history "$history" "$out/result.json" "${tolargs[@]}" --format markdown -o "$out/compare.md" || true
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$out/compare.md" ]]; then
    cat "$out/compare.md" >>"$GITHUB_STEP_SUMMARY"
  fi
  case $ccode in
    0) ;;
    2) echo "ci-gate: no usable history in $history; gates only" >&2 ;;
    *) code=$ccode ;;
  esac
fi

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
