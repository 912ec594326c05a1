package main

import (
	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// subcommands registers every command file's constructor (each file appends
// to it in an init function), keeping root.go free of merge conflicts.
var subcommands []func() *cobra.Command

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "kbench",
		Short: "Load-test Kafka and measure what your keying strategy costs",
		Long: `kbench generates API-event traffic keyed by path, service, node, a composite
or a salted key, pushes it through real Kafka producers and consumer groups,
and reports throughput, HDR latency, partition skew, key locality, lag,
rebalances and delivery (lost / duplicated / reordered).

Without --brokers every run uses an embedded in-memory broker.`,
		Example: `  kbench run                              # built-in quickstart on the embedded broker
  kbench run keying-strategies --out results/
  kbench run my.yaml --brokers kafka:9092 --set workload.rate=50000
  kbench keys --strategy path,service,node --partitions 12
  kbench validate my.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.With(exitcode.Config, err)
	})
	for _, mk := range subcommands {
		root.AddCommand(mk())
	}
	return root
}
