package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/report/verdict"
)

func init() { subcommands = append(subcommands, newReportCmd) }

// readResultArg loads a result file named on the command line, mapping
// errors to exit codes: a file that does not exist or is not a result is
// a usage error (2), any other read failure a runtime error (1).
func readResultArg(path string) (*report.Result, error) {
	r, err := report.ReadResult(path)
	var fe *report.FormatError
	if errors.As(err, &fe) || errors.Is(err, fs.ErrNotExist) {
		return nil, exitcode.With(exitcode.Config, err)
	}
	return r, err
}

// writeOutput writes through render to file (atomically), or to stdout
// when file is "" or "-".
func writeOutput(cmd *cobra.Command, file string, render func(io.Writer) error) error {
	if file == "" || file == "-" {
		return render(cmd.OutOrStdout())
	}
	return report.WriteFileAtomic(file, render)
}

func newReportCmd() *cobra.Command {
	var format, out, hgrmDir string
	var gates []string
	cmd := &cobra.Command{
		Use:   "report RESULT.json",
		Short: "Re-render a stored result (text, json, csv, markdown, html)",
		Long: `Re-render a result.json written by 'kbench run --out DIR' or 'kbench merge'.

--gate re-evaluates gate expressions (PATH OP NUMBER, e.g. 'produce.latency_ms.p99 < 50')
against the stored figures; a failed gate makes the exit code 3.
--hgrm DIR exports every latency histogram in HdrHistogram's percentile-distribution
format (VARIANT.NAME.hgrm, milliseconds) for HdrHistogram's plotting tools.`,
		Example: `  kbench report results/result.json
  kbench report results/result.json --format html -o report.html
  kbench report results/result.json --format markdown >> "$GITHUB_STEP_SUMMARY"
  kbench report results/result.json --hgrm hgrm/ --gate 'skew.max_mean <= 1.5'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer exitOnInterrupt(cmd.ErrOrStderr())()
			if !validFormat(format, formats) {
				return exitcode.Configf("unknown --format %q (want %s)", format, strings.Join(formats, ", "))
			}
			if _, err := verdict.ParseGates(gates); err != nil {
				return exitcode.With(exitcode.Config, err)
			}
			r, err := readResultArg(args[0])
			if err != nil {
				return err
			}
			if len(gates) > 0 {
				if _, err := verdict.Decide(r, verdict.Checks{All: gates}); err != nil {
					return exitcode.With(exitcode.Config, err)
				}
			}
			if hgrmDir != "" {
				files, err := recorder.WriteHGRMFiles(hgrmDir, r)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d .hgrm file(s) to %s\n", len(files), hgrmDir)
			}
			if err := writeOutput(cmd, out, func(w io.Writer) error { return renderResult(w, r, format) }); err != nil {
				return err
			}
			if len(gates) > 0 && !r.Passed {
				return silent(exitcode.GateFailed)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: "+strings.Join(formats, "|"))
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of stdout")
	cmd.Flags().StringVar(&hgrmDir, "hgrm", "", "also export every histogram as DIR/VARIANT.NAME.hgrm")
	cmd.Flags().StringArrayVar(&gates, "gate", nil, "gate expression to re-evaluate (repeatable), e.g. 'delivery.lost == 0'")
	return cmd
}

func validFormat(f string, allowed []string) bool {
	for _, a := range allowed {
		if strings.EqualFold(f, a) {
			return true
		}
	}
	return false
}
