package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/merge"
	"github.com/kbench/kbench/report/render"
	"github.com/kbench/kbench/report/verdict"
)

func init() { subcommands = append(subcommands, newCompareCmd) }

type compareFlags struct {
	format, out string
	tolerances  []string
	floors      []string
	alpha       float64
	history     string
	last        int
}

func newCompareCmd() *cobra.Command {
	f := &compareFlags{}
	cmd := &cobra.Command{
		Use:   "compare BASELINE.json RESULT.json... | compare --history DIR RESULT.json...",
		Short: "Compare results with a baseline; regressions beyond tolerance exit 3",
		Long: `Compare every headline figure of each RESULT with the BASELINE (the first file),
variant by variant (matched by name): baseline, current, delta and delta %.

Each figure knows its direction: throughput, Jain fairness and order preserved are better
higher; latency, skew, lag, drain/failover time, rebalances, errors, lost, duplicated and
reordered are better lower. A gated figure worse than the baseline by more than its
tolerance and its noise floor is a regression, and so is a figure the baseline measured and
the result did not, or a baseline variant missing from a result: the exit code is then 3.

Repeated runs (kbench run --repeat N): when both sides have them, each figure's runs are
compared with a two-sided Mann-Whitney U test at --alpha (0.05): a difference that is not
significant is shown as '~' and is never a regression, however large. The test needs at
least 4 runs a side (3 v 3 cannot reach p < 0.05); 5 is the recommended gate. With a single
run on a side, the output says so and only tolerances and noise floors apply. Values of
repeated runs are medians, shown with their spread (8.140 ±0.6).

Noise floors: no change of a figure by its floor or less counts (latencies 0.5 ms, drain
and failover 100 ms, lag 1000 messages, skew a few hundredths; see docs/compare.md), and
no percentage is computed on a baseline within its floor of zero. --floor PATH=VALUE
overrides one (in the figure's unit; '*' matches any group).

Gated by default: throughput, errors, p50 and p99 of every latency, skew, ordering,
delivery, lag, drain, failover and rebalances. p90, p99.9, max and mean are reported but
not gated unless --tolerance names them ('--tolerance e2e.latency_ms.max=50%').

--tolerance takes a default ('10%') and per-figure values by dotted path
('produce.latency_ms.p99=20%'; a value without % is absolute in the figure's unit,
'delivery.lost=0'; '*' matches any group: 'consume.groups.*.lag.max=500'). Repeatable or
comma-separated.

--history DIR compares with the last --last (5) complete results of the same experiment
stored in DIR (*.json or */result.json, ordered by start time): each stored result's
figure is one sample, the baseline figure their median, tested like repeated runs.`,
		Example: `  kbench compare baseline.json results/result.json
  kbench compare base.json new.json --tolerance 5% --tolerance produce.latency_ms.p99=25%
  kbench compare base.json new.json --floor produce.latency_ms.p99=2
  kbench compare --history ci-history new/result.json --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if f.history != "" {
				return cobra.MinimumNArgs(1)(cmd, args)
			}
			return cobra.MinimumNArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			defer exitOnInterrupt(cmd.ErrOrStderr())()
			return runCompare(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "text", "output format: text|markdown|json")
	fl.StringVarP(&f.out, "output", "o", "", "write to FILE instead of stdout")
	fl.StringArrayVar(&f.tolerances, "tolerance", nil, "allowed worsening: '10%' (default for all figures) or PATH=10% / PATH=ABS (repeatable); naming a figure gates it")
	fl.StringArrayVar(&f.floors, "floor", nil, "noise floor of a figure: PATH=VALUE in its unit (repeatable); changes within it never count")
	fl.Float64Var(&f.alpha, "alpha", 0.05, "significance level of the Mann-Whitney U test on repeated runs")
	fl.StringVar(&f.history, "history", "", "baseline: the last --last results of the experiment stored in DIR")
	fl.IntVar(&f.last, "last", merge.DefaultHistory, "with --history: how many stored results make the baseline")
	return cmd
}

func runCompare(cmd *cobra.Command, args []string, f *compareFlags) error {
	if !validFormat(f.format, []string{"text", "markdown", "json"}) {
		return exitcode.Configf("unknown --format %q (want text, markdown or json)", f.format)
	}
	tol, err := report.ParseTolerance(f.tolerances)
	if err != nil {
		return exitcode.With(exitcode.Config, err)
	}
	if err := tol.ParseFloors(f.floors); err != nil {
		return exitcode.With(exitcode.Config, err)
	}
	if !(f.alpha > 0 && f.alpha < 1) {
		return exitcode.Configf("--alpha %g: want a level between 0 and 1 (e.g. 0.05)", f.alpha)
	}
	if f.last < 1 {
		return exitcode.Configf("--last %d: want at least 1", f.last)
	}
	tol.Alpha = f.alpha
	var base *report.Result
	baseName := ""
	curArgs := args
	if f.history == "" {
		if base, err = readResultArg(args[0]); err != nil {
			return err
		}
		baseName, curArgs = args[0], args[1:]
	}
	var cs []report.Comparison
	for _, p := range curArgs {
		cur, err := readResultArg(p)
		if err != nil {
			return err
		}
		b, name := base, baseName
		if f.history != "" {
			hist, paths, err := merge.ReadHistory(f.history, cur.Experiment, f.last, cur)
			if err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			if b, err = merge.HistoryBaseline(hist); err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			name = merge.HistoryLabel(f.history, paths)
		}
		c := verdict.Compare(b, cur, tol)
		if f.history != "" {
			c.Baseline = name
		} else {
			c.Baseline = name + " (" + c.Baseline + ")"
		}
		c.Current = p + " (" + c.Current + ")"
		cs = append(cs, c)
	}
	err = writeOutput(cmd, f.out, func(w io.Writer) error {
		if strings.EqualFold(f.format, "json") {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(cs)
		}
		for i := range cs {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := render.RenderComparison(w, &cs[i], f.format); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Regressed() {
			return silent(exitcode.GateFailed)
		}
	}
	return nil
}
