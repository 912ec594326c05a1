package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// commit is the source revision, set at build time with
// -ldflags "-X main.commit=..." (scripts/release.sh, scripts/image.sh).
var commit = ""

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print the kbench version, source commit and Go version",
			Example: `  kbench version
  # kbench v1.4.0 (commit 3f2c1ab09e4d, go1.26.8, linux/amd64)`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ver, rev := buildVersion()
				fmt.Fprintf(cmd.OutOrStdout(), "kbench %s (commit %s, %s, %s/%s)\n", ver, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return nil
			},
		}
	})
}

// buildVersion returns the stamped version and commit. Unstamped builds fall
// back to what the go command recorded: the module version of
// `go install .../cmd/kbench@vX` and the VCS revision of a build inside a
// checkout (unless -buildvcs=false); what is known nowhere is "unknown".
func buildVersion() (ver, rev string) {
	ver, rev = version, commit
	bi, ok := debug.ReadBuildInfo()
	if ok && ver == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		ver = bi.Main.Version
	}
	if ok && rev == "" {
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" && dirty {
			rev += "-dirty"
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev
}
