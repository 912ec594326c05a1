package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/report"
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
load. Gates are cleared by merging; pass --gate to evaluate them on the merged figures (a
failure exits 3).`,
		Example: `  kbench merge shard-*/result.json -o merged.json
  kbench merge a.json b.json -o merged.json --gate 'produce.throughput.msgs_per_s >= 100000'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := report.ParseGates(gates); err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			var shards []*report.Result
			for _, p := range args {
				r, err := readResultArg(p)
				if err != nil {
					return err
				}
				shards = append(shards, r)
			}
			merged, err := report.Merge(shards)
			if err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			if len(gates) > 0 {
				if err := report.EvaluateGates(merged, gates); err != nil {
					return exitcode.With(exitcode.Config, err)
				}
			}
			if out == "" || out == "-" {
				err = report.RenderJSON(cmd.OutOrStdout(), merged)
			} else {
				err = report.WriteResult(out, merged)
			}
			if err != nil {
				return err
			}
			if len(gates) > 0 && !merged.Passed {
				_ = report.RenderText(io.Discard, merged)
				return silent(exitcode.GateFailed)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the merged result.json to FILE (default stdout)")
	cmd.Flags().StringArrayVar(&gates, "gate", nil, "gate expression to evaluate on the merged result (repeatable)")
	return cmd
}
