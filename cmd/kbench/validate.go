package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/internal/resources"
	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/runner"
)

func init() { subcommands = append(subcommands, newValidateCmd) }

func newValidateCmd() *cobra.Command {
	var sets []string
	cmd := &cobra.Command{
		Use:   "validate FILE|PROFILE...",
		Short: "Check experiment files without running them",
		Long: `Check experiment files (or built-in profiles) the way run does before it sends
anything: strict YAML (unknown keys, wrong types, impossible values), every
matrix variant, gate expressions and ${ENV} references, Kafka's own limits
and whether the run fits in this machine's memory.

Every problem is printed to stderr as file:line:col: message; each good file
prints "FILE: ok (N variants)" to stdout, then an estimate of the memory its
largest variant needs (on the embedded broker unless the file names
cluster.brokers), what this machine has, and the plan's longest wall time.
Exit code 2 when any file has an error, 0 otherwise.`,
		Example: `  kbench validate my.yaml
  kbench validate experiments/*.yaml
  kbench validate quickstart --set workload.keying.strategy=service
  kbench profiles show quickstart > my.yaml && kbench validate my.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return exitcode.Configf("validate needs at least one FILE or PROFILE (see kbench validate --help)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd, args, sets)
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a field before validating: `path=value` (repeatable)")
	return cmd
}

func runValidate(cmd *cobra.Command, args, sets []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	failed := false
	machine := resources.Probe()
	for _, arg := range args {
		plan, err := workloads.Resolve(arg, sets)
		if err != nil {
			failed = true
			var fe workloads.Errors
			if errors.As(err, &fe) {
				for _, e := range fe {
					fmt.Fprintln(stderr, e.Error())
				}
			} else {
				fmt.Fprintf(stderr, "%s: %v\n", arg, err)
			}
			continue
		}
		embedded := func(e *workloads.Experiment) bool { return e.Cluster == nil || len(e.Cluster.Brokers) == 0 }
		if errs := resources.CheckPlan(plan, embedded, machine); len(errs) > 0 {
			failed = true
			for _, e := range errs {
				fmt.Fprintln(stderr, e.Error())
			}
			continue
		}
		n := len(plan.Variants)
		plural := "s"
		if n == 1 {
			plural = ""
		}
		fmt.Fprintf(stdout, "%s: ok (%d variant%s)\n", arg, n, plural)
		fmt.Fprintf(stdout, "  estimate: %s\n", resources.Describe(plan, embedded, machine))
		for _, v := range plan.Variants {
			if !embedded(v.Exp) {
				continue
			}
			if w := runner.HostWarning(v.Exp); w != "" {
				fmt.Fprintf(stdout, "  warning: variant %s: %s\n", v.Name, w)
			}
		}
	}
	if failed {
		return silent(exitcode.Config)
	}
	return nil
}
