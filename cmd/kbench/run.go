package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/internal/resources"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/render"
	"github.com/kbench/kbench/report/verdict"
	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/runner"
)

func init() {
	subcommands = append(subcommands, newRunCmd)
}

type runFlags struct {
	brokers    []string
	duration   string
	rate       string
	sets       []string
	only       []string
	out        string
	format     string
	baseline   string
	tolerance  []string
	floors     []string
	noProgress bool
	cpuProfile string
	shard      string
	startAt    string
	runID      string
	repeat     int
	findMax    bool
	// live view (live.go)
	progress      string
	events        string
	metricsListen string
}

func newRunCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [FILE|PROFILE]...",
		Short: "Run experiments and report what they measured",
		Long: `Run one or more experiments (YAML files or built-in profiles; default: the
quickstart profile). Without --brokers, an embedded in-memory broker is started
for the run. Each matrix variant runs on a fresh topic.

Exit codes: 0 ok, 1 runtime failure, 2 configuration error (nothing sent),
3 a gate or baseline comparison failed, 130 interrupted (partial result written).`,
		Example: `  kbench run                                   # quickstart on the embedded broker
  kbench run --duration 5s --out /tmp/r        # shorter, write result.json and friends
  kbench run batch-sweep --format markdown
  kbench run my.yaml --set workload.keying.strategy=service --rate 20000
  kbench run my.yaml --brokers kafka-1:9092,kafka-2:9092 --baseline base.json
  kbench run my.yaml --repeat 5 --out new      # 5 interleaved runs per variant: medians and samples
  kbench run capacity                          # the highest rate each keying strategy sustains
  kbench run my.yaml --find-max --set 'search.objective=["produce.latency_ms.p99 < 50"]'
  kbench run read.yaml --brokers kafka:9092    # read.yaml: topic: {existing: orders} — consumer groups on a topic you have, consume-only
  kbench run my.yaml --brokers kafka:9092 --shard 0/4 --start-at 2026-05-01T12:00:00Z --out shard-0
  kbench run my.yaml --metrics-listen 127.0.0.1:9464  # Prometheus/OpenMetrics at /metrics
  kbench run --progress=jsonl 2>&1 | grep '^{'        # one JSON object per second`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.brokers, "brokers", nil, "external cluster bootstrap brokers (host:port,...); default: embedded broker")
	fl.StringVar(&f.duration, "duration", "", "measured duration per variant (overrides duration:)")
	fl.IntVar(&f.repeat, "repeat", 0, "run each variant N times, interleaved; figures are the medians, each run kept as a sample for 'kbench compare' (overrides repeat:)")
	fl.BoolVar(&f.findMax, "find-max", false, "capacity search: find the highest rate each variant sustains (steady, within search.objective); uses the file's search: or its defaults")
	fl.StringVar(&f.rate, "rate", "", "target messages/s over all producers, 0 = unthrottled (overrides workload.rate)")
	fl.StringArrayVar(&f.sets, "set", nil, "override a YAML field: path=value (repeatable)")
	fl.StringSliceVar(&f.only, "only", nil, "run only the named matrix variants")
	fl.StringVar(&f.out, "out", "", "directory to write result.json, result.txt, result.md, result.csv, result.html")
	fl.StringVar(&f.format, "format", "text", "stdout format: text, json or markdown")
	fl.StringVar(&f.baseline, "baseline", "", "compare with a stored result.json; a regression exits 3")
	fl.StringArrayVar(&f.tolerance, "tolerance", nil, "baseline tolerance: 10% or PATH=20% (repeatable)")
	fl.StringArrayVar(&f.floors, "floor", nil, "baseline noise floor of a figure: PATH=VALUE in its unit (repeatable; see kbench compare --help)")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no live progress on stderr")
	fl.StringVar(&f.progress, "progress", "line", "live progress on stderr: line, jsonl (one JSON object per second) or off")
	fl.StringVar(&f.events, "events", "", "also write the JSON-lines stream to this file")
	fl.StringVar(&f.metricsListen, "metrics-listen", "", "serve OpenMetrics/Prometheus text at http://HOST:PORT/metrics during the run (port 0 picks one; the address is printed on stderr)")
	fl.StringVar(&f.shard, "shard", "", "run shard I of N (0-based I/N) of a run spread over N hosts; merge the results with 'kbench merge'")
	fl.StringVar(&f.startAt, "start-at", "", "common start time of a sharded run: RFC3339 or Unix seconds")
	fl.StringVar(&f.runID, "run-id", "", "name shared by the shards of one run (topic and group ids derive from it); default: from --start-at")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to this file")
	_ = fl.MarkHidden("cpuprofile")
	return cmd
}

func runRun(cmd *cobra.Command, args []string, f *runFlags) error {
	stderr := cmd.ErrOrStderr()
	plan, shard, err := runPlan(cmd, args, f)
	if err != nil {
		return err
	}
	base, tol, err := runBaseline(f, shard)
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return exitcode.With(exitcode.Config, fmt.Errorf("--out: %w", err))
		}
	}
	// A load generator's heap is mostly short-lived client buffers: collect
	// less often than Go's default (GOGC=100) so the CPU goes to sending.
	// An explicit GOGC wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// ... but never past what the machine has: near it the collector works
	// harder instead of the process dying of "out of memory".
	if m := resources.Probe(); os.Getenv("GOMEMLIMIT") == "" && m.Available > 0 {
		debug.SetMemoryLimit(m.Available)
	}
	opt := runner.Options{Brokers: f.brokers, Log: stderr, Shard: shard}
	if shard.Sharded() {
		if shard.StartAt.IsZero() {
			fmt.Fprintln(stderr, "warning: no --start-at: each shard starts producing as soon as it is ready, unsynchronised")
		}
		fmt.Fprintln(stderr, "kbench: sharded run: the topic is kept; gates are evaluated by 'kbench merge' on the merged result")
	}
	if err := runner.Preflight(plan, opt); err != nil {
		return configError(stderr, err)
	}
	stopLive, jsonl, err := liveView(f, stderr, &opt)
	if err != nil {
		return err
	}
	defer stopLive()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, the default handling comes back: a second
	// Ctrl-C ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	prog := runProgress(f, stderr, jsonl, plan, &opt)
	if f.cpuProfile != "" {
		stopProfile, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	res, runErr := runner.Run(ctx, plan, opt)
	if prog != nil {
		prog.Done()
	}
	interrupted := errors.Is(runErr, runner.ErrInterrupted) || ctx.Err() != nil
	if runErr != nil {
		res.Complete = false
		res.Error = runErr.Error()
	}
	return finishRun(cmd, f, plan, shard, res, base, tol, runErr, interrupted)
}

// runPlan checks the flags and loads the experiments with the flags'
// overrides applied.
func runPlan(cmd *cobra.Command, args []string, f *runFlags) (*workloads.Plan, runner.Shard, error) {
	switch f.format {
	case "text", "json", "markdown":
	default:
		return nil, runner.Shard{}, exitcode.Configf("--format %q: want text, json or markdown", f.format)
	}
	shard, err := parseShardFlags(f, time.Now())
	if err != nil {
		return nil, shard, err
	}
	if len(args) == 0 {
		args = []string{"quickstart"}
	}
	sets := append([]string(nil), f.sets...)
	if f.duration != "" {
		sets = append(sets, "duration="+f.duration)
	}
	if f.rate != "" {
		sets = append(sets, "workload.rate="+f.rate)
	}
	if cmd.Flags().Changed("repeat") {
		sets = append(sets, "repeat="+strconv.Itoa(f.repeat))
	}
	plan, err := loadPlans(args, sets, f.only)
	if err != nil {
		return nil, shard, configError(cmd.ErrOrStderr(), err)
	}
	if f.findMax {
		for _, v := range plan.Variants {
			if err := workloads.EnableSearch(v.Exp); err != nil {
				return nil, shard, configError(cmd.ErrOrStderr(), err)
			}
		}
	}
	if shard.Sharded() {
		for _, v := range plan.Variants {
			if v.Exp.Search != nil {
				return nil, shard, exitcode.Configf("search with --shard: a capacity search runs its probes on one host")
			}
			if v.Exp.Repeat > 1 {
				return nil, shard, exitcode.Configf("repeat (%d) with --shard: a sharded run runs each variant once; repeat the whole sharded run instead", v.Exp.Repeat)
			}
		}
	}
	return plan, shard, nil
}

// runBaseline reads --baseline and its tolerances and floors.
func runBaseline(f *runFlags, shard runner.Shard) (*report.Result, report.Tolerance, error) {
	var tol report.Tolerance
	if f.baseline == "" {
		return nil, tol, nil
	}
	if shard.Sharded() {
		return nil, tol, exitcode.Configf("--baseline compares a whole run: use it with 'kbench compare' on the merged result, not on one shard")
	}
	base, err := readResultArg(f.baseline)
	if err != nil {
		return nil, tol, err
	}
	if tol, err = report.ParseTolerance(f.tolerance); err != nil {
		return nil, tol, exitcode.With(exitcode.Config, err)
	}
	if err := tol.ParseFloors(f.floors); err != nil {
		return nil, tol, exitcode.With(exitcode.Config, err)
	}
	return base, tol, nil
}

// runProgress starts the progress line unless it is off or the JSON-lines
// stream replaces it.
func runProgress(f *runFlags, stderr io.Writer, jsonl bool, plan *workloads.Plan, opt *runner.Options) *render.Progress {
	if f.noProgress || jsonl || f.progress == "off" {
		return nil
	}
	var total time.Duration
	for _, v := range plan.Variants {
		if v.Exp.Search != nil { // probes until the answer or max_time
			total += v.Exp.Search.MaxTime.D()
			continue
		}
		total += (v.Exp.Warmup.D() + v.Exp.Duration.D()) * time.Duration(v.Exp.Repeat)
	}
	prog := render.NewProgress(stderr, isTerminal(stderr), total)
	var done time.Duration
	var cur string
	var curTotal time.Duration
	opt.Progress = func(p runner.Progress) {
		if p.Variant != cur {
			done += curTotal
			cur, curTotal = p.Variant, p.Total
		}
		el := done + min(p.Elapsed, p.Total)
		prog.Update(el, p.Sent, p.Rate, p.P99Ms, p.MaxLag)
	}
	return prog
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (func(), error) {
	pf, err := os.Create(path)
	if err != nil {
		return nil, exitcode.With(exitcode.Config, err)
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, exitcode.With(exitcode.Config, err)
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }, nil
}

// finishRun decides the verdict, writes and renders the result, and maps
// the outcome to the exit code.
func finishRun(cmd *cobra.Command, f *runFlags, plan *workloads.Plan, shard runner.Shard, res, base *report.Result, tol report.Tolerance, runErr error, interrupted bool) error {
	stderr := cmd.ErrOrStderr()
	checks := verdict.Checks{PerVariant: map[string][]string{}}
	if !shard.Sharded() { // one shard's figures cannot be gated: kbench merge does it
		for _, pv := range plan.Variants {
			checks.PerVariant[pv.Name] = pv.Exp.Gates
		}
	}
	if base != nil {
		c := verdict.Compare(base, res, tol)
		checks.Baseline = &c
	}
	// The gates were validated before the run: an error here is a bug.
	vd, err := verdict.Decide(res, checks)
	if err != nil {
		return exitcode.With(exitcode.Config, err)
	}
	gatesFailed := res.Complete && !vd.Passed
	if f.out != "" {
		if err := writeOutputs(f.out, res); err != nil {
			fmt.Fprintln(stderr, "kbench: "+err.Error())
			if runErr == nil {
				runErr = err
			}
		}
	}
	if err := renderResult(cmd.OutOrStdout(), res, f.format); err != nil {
		return err
	}
	switch {
	case interrupted:
		fmt.Fprintln(stderr, "kbench: interrupted; partial result written")
		return silent(exitcode.Interrupted)
	case runErr != nil:
		return exitcode.With(exitcode.Runtime, runErr)
	case gatesFailed:
		fmt.Fprintln(stderr, "kbench: a gate or baseline comparison failed")
		return silent(exitcode.GateFailed)
	}
	return nil
}

// parseShardFlags reads --shard, --start-at and --run-id.
func parseShardFlags(f *runFlags, now time.Time) (runner.Shard, error) {
	var sh runner.Shard
	if f.shard != "" {
		a, b, ok := strings.Cut(f.shard, "/")
		i, err1 := strconv.Atoi(strings.TrimSpace(a))
		n, err2 := strconv.Atoi(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			return sh, exitcode.Configf("--shard %q: want I/N with 0 <= I < N (e.g. 0/4 ... 3/4)", f.shard)
		}
		sh.Index, sh.Count = i, n
	}
	if f.startAt != "" {
		t, err := parseStartAt(f.startAt)
		if err != nil {
			return sh, exitcode.Configf("--start-at %q: want RFC3339 (2026-05-01T12:00:00Z) or Unix seconds", f.startAt)
		}
		if t.Sub(now) > 24*time.Hour {
			return sh, exitcode.Configf("--start-at %s is more than 24h away", t.UTC().Format(time.RFC3339))
		}
		sh.StartAt = t
	}
	sh.RunID = f.runID
	if sh.Sharded() && sh.StartAt.IsZero() && sh.RunID == "" {
		return sh, exitcode.Configf("--shard %s needs --start-at or --run-id: the shards derive their common topic and group ids from them", f.shard)
	}
	return sh, nil
}

func parseStartAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || secs <= 0 || math.IsInf(secs, 0) {
		return time.Time{}, errors.New("not a time")
	}
	whole := math.Floor(secs)
	return time.Unix(int64(whole), int64((secs-whole)*1e9)), nil
}

// loadPlans loads every argument and joins their variants into one plan.
func loadPlans(args, sets, only []string) (*workloads.Plan, error) {
	var plan *workloads.Plan
	var errs workloads.Errors
	var other []error
	for _, a := range args {
		p, err := workloads.Resolve(a, sets)
		if err != nil {
			var fe workloads.Errors
			if errors.As(err, &fe) {
				errs = append(errs, fe...)
			} else {
				other = append(other, err)
			}
			continue
		}
		if plan == nil {
			plan = p
		} else {
			plan.Name += "+" + p.Name
			plan.Variants = append(plan.Variants, p.Variants...)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(other) > 0 {
		return nil, errors.Join(other...)
	}
	if len(only) > 0 {
		if err := plan.Only(only...); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// configError prints every configuration error on its own line and exits 2.
func configError(w io.Writer, err error) error {
	var fe workloads.Errors
	if errors.As(err, &fe) {
		for _, e := range fe {
			fmt.Fprintln(w, e.Error())
		}
		return silent(exitcode.Config)
	}
	return exitcode.With(exitcode.Config, err)
}

// writeOutputs writes result.json and every rendered format into dir.
func writeOutputs(dir string, res *report.Result) error {
	files := []struct{ name, format string }{
		{"result.json", "json"},
		{"result.txt", "text"},
		{"result.md", "markdown"},
		{"result.csv", "csv"},
		{"result.html", "html"},
	}
	var errs []error
	for _, f := range files {
		err := report.WriteFileAtomic(filepath.Join(dir, f.name), func(w io.Writer) error { return renderResult(w, res, f.format) })
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	return errors.Join(errs...)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
