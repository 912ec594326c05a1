package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/profiles"
)

func init() { subcommands = append(subcommands, newProfilesCmd) }

func newProfilesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the built-in experiment profiles",
		Long: `List the built-in experiments (profiles). Each reproduces one claim about
Kafka; run one with "kbench run NAME", or print it with "kbench profiles show
NAME" to start your own experiment file from it.`,
		Example: `  kbench profiles
  kbench profiles show quickstart
  kbench profiles show keying-strategies > my.yaml && kbench run my.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exitcode.Configf("unknown profiles subcommand %q; did you mean: kbench profiles show %s", args[0], args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDESCRIPTION")
			for _, n := range profiles.Names() {
				fmt.Fprintf(tw, "%s\t%s\n", n, profiles.Description(n))
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "Print a built-in profile as YAML",
		Example: `  kbench profiles show quickstart
  kbench profiles show batch-sweep > batch.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return exitcode.Configf("profiles show needs exactly one NAME (profiles: %s)", strings.Join(profiles.Names(), ", "))
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return profiles.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			b, ok := profiles.Get(args[0])
			if !ok {
				return exitcode.Configf("unknown profile %q (profiles: %s)", args[0], strings.Join(profiles.Names(), ", "))
			}
			_, err := cmd.OutOrStdout().Write(b)
			return err
		},
	})
	return cmd
}
