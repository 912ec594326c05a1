package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/report"
)

func init() { subcommands = append(subcommands, newCompareCmd) }

func newCompareCmd() *cobra.Command {
	var format, out string
	var tolerances []string
	cmd := &cobra.Command{
		Use:   "compare BASELINE.json RESULT.json...",
		Short: "Compare results with a baseline; regressions beyond tolerance exit 3",
		Long: `Compare every headline figure of each RESULT with the BASELINE (the first file),
variant by variant (matched by name): baseline, current, delta and delta %.

Each figure knows its direction: throughput, Jain fairness and order preserved are better
higher; latency, skew, lag, drain/failover time, rebalances, errors, lost, duplicated and
reordered are better lower. A figure worse than the baseline by more than its tolerance is a
regression, and so is a baseline variant missing from a result: the exit code is then 3.

--tolerance takes a default ('10%') and per-figure values by dotted path
('produce.latency_ms.p99=20%'; a value without % is absolute in the figure's unit,
'delivery.lost=0'; '*' matches any group: 'consume.groups.*.lag.max=500'). Repeatable or
comma-separated.`,
		Example: `  kbench compare baseline.json results/result.json
  kbench compare base.json new.json --tolerance 5% --tolerance produce.latency_ms.p99=25%
  kbench compare base.json new.json --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format, []string{"text", "markdown", "json"}) {
				return exitcode.Configf("unknown --format %q (want text, markdown or json)", format)
			}
			tol, err := report.ParseTolerance(tolerances)
			if err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			base, err := readResultArg(args[0])
			if err != nil {
				return err
			}
			var cs []report.Comparison
			for _, p := range args[1:] {
				cur, err := readResultArg(p)
				if err != nil {
					return err
				}
				c := report.Compare(base, cur, tol)
				c.Baseline = args[0] + " (" + c.Baseline + ")"
				c.Current = p + " (" + c.Current + ")"
				cs = append(cs, c)
			}
			err = writeOutput(cmd, out, func(w io.Writer) error {
				if strings.EqualFold(format, "json") {
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					return enc.Encode(cs)
				}
				for i := range cs {
					if i > 0 {
						fmt.Fprintln(w)
					}
					if err := report.RenderComparison(w, &cs[i], format); err != nil {
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
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text|markdown|json")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of stdout")
	cmd.Flags().StringArrayVar(&tolerances, "tolerance", nil, "allowed worsening: '10%' (default for all figures) or PATH=10% / PATH=ABS (repeatable)")
	return cmd
}
