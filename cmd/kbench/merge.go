package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/merge"
	"github.com/kbench/kbench/report/render"
	"github.com/kbench/kbench/report/verdict"
)

func init() { subcommands = append(subcommands, newMergeCmd) }

func newMergeCmd() *cobra.Command {
	var out string
	var gates []string
	cmd := &cobra.Command{
		Use:   "merge SHARD.json... -o OUT.json",
		Short: "Merge the results of a sharded run exactly",
		Long: `Merge the result.json files of 'kbench run --shard I/N' (one per host) into one result:
histograms merge losslessly and every latency percentile is recomputed from them; counts are
summed, throughput recomputed from messages over duration, skew from the summed partition
load. Results of 'kbench run --shard I/N' carry a delivery_state: the merge then computes
delivery.lost and cross-shard duplicates exactly, every shard of the run must be given, and the
experiment's gates are evaluated on the merged figures. Other gates are cleared by merging;
pass --gate to evaluate more on the merged figures. A failed gate exits 3.`,
		Example: `  kbench merge shard-*/result.json -o merged.json
  kbench merge '/results/shard-*/result.json' -o merged.json   # kbench expands the pattern
  kbench merge a.json b.json -o merged.json --gate 'produce.throughput.msgs_per_s >= 100000'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer exitOnInterrupt(cmd.ErrOrStderr())()
			if _, err := verdict.ParseGates(gates); err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			paths, err := expandGlobs(args)
			if err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			var shards []*report.Result
			for _, p := range paths {
				r, err := readResultArg(p)
				if err != nil {
					return err
				}
				shards = append(shards, r)
			}
			merged, err := merge.Merge(shards)
			if err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			// The experiment's own gates (deferred by the shards, already
			// evaluated by Merge) and the extra ones, per variant.
			if len(gates) > 0 {
				checks := verdict.Checks{PerVariant: map[string][]string{}}
				for _, v := range merged.Variants {
					checks.PerVariant[v.Name] = append(deferredGates(shards, v.Name), gates...)
				}
				if _, err := verdict.Decide(merged, checks); err != nil {
					return exitcode.With(exitcode.Config, err)
				}
			}
			if out == "" || out == "-" {
				err = render.RenderJSON(cmd.OutOrStdout(), merged)
			} else {
				err = report.WriteResult(out, merged)
			}
			if err != nil {
				return err
			}
			if verdict.FailedGates(merged) > 0 {
				return silent(exitcode.GateFailed)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the merged result.json to FILE (default stdout)")
	cmd.Flags().StringArrayVar(&gates, "gate", nil, "gate expression to evaluate on the merged result (repeatable)")
	return cmd
}

// deferredGates is the experiment's gates a sharded run deferred to the
// merge, for variant name.
func deferredGates(shards []*report.Result, name string) []string {
	for _, s := range shards {
		for _, v := range s.Variants {
			if v.Name == name && v.DeliveryState != nil {
				return append([]string(nil), v.DeliveryState.Gates...)
			}
		}
	}
	return nil
}

// expandGlobs expands the arguments that are patterns and name no file:
// where no shell expands them (a container without one, Windows), the
// pattern still reaches every shard's result.
func expandGlobs(args []string) ([]string, error) {
	var paths []string
	for _, a := range args {
		if _, err := os.Stat(a); err == nil || !strings.ContainsAny(a, "*?[") {
			paths = append(paths, a)
			continue
		}
		m, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no file matches", a)
		}
		paths = append(paths, m...)
	}
	return paths, nil
}
