package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/internal/keysource"
	"github.com/kbench/kbench/internal/keysource/topic"
	"github.com/kbench/kbench/keying"
)

// realOpts are the flags of `kbench keys --from-file/--from-topic`.
type realOpts struct {
	fromFile    string
	inputFormat string
	keyColumn   string
	countColumn string
	skipBad     bool
	fromTopic   string
	brokers     []string
	sample      int64
	since       time.Duration
	fromOffset  int64
	saltHot     []string
	saveKeys    string
	saveLimit   int
}

func addRealFlags(cmd *cobra.Command, o *realOpts) {
	f := cmd.Flags()
	f.StringVar(&o.fromFile, "from-file", "", "analyse real keys from FILE (- for stdin): one per line, KEY<TAB>COUNT, or a CSV/JSON-lines column")
	f.StringVar(&o.inputFormat, "input-format", "auto", "format of --from-file: auto (by extension: .csv, .jsonl/.ndjson/.json, else text), text, csv or jsonl")
	f.StringVar(&o.keyColumn, "key-column", "key", "CSV column or JSON field holding the key")
	f.StringVar(&o.countColumn, "count-column", "", "CSV column or JSON field holding a count of messages per line (default: each line is one)")
	f.BoolVar(&o.skipBad, "skip-bad", false, "count and skip bad lines instead of stopping at the first (exit 2)")
	f.StringVar(&o.fromTopic, "from-topic", "", "analyse the keys of an existing TOPIC (read-only: no group, no commit, no write)")
	f.StringSliceVar(&o.brokers, "brokers", nil, "bootstrap brokers for --from-topic (host:port,...)")
	f.Int64Var(&o.sample, "sample", 1_000_000, "--from-topic: read at most this many records (0 = all); alone, the newest records, each partition in proportion to its size")
	f.DurationVar(&o.since, "since", 0, "--from-topic: start at records written in the last DURATION (e.g. 1h)")
	f.Int64Var(&o.fromOffset, "from-offset", -1, "--from-topic: start every partition at this offset (default: unset)")
	f.StringArrayVar(&o.saltHot, "salt-hot", nil, "what-if: salt the k hottest keys with S salts, `k:S` (repeatable)")
	f.StringVar(&o.saveKeys, "save-keys", "", "write the keys read as KEY<TAB>COUNT to FILE (for workload.traffic.keys: {from: FILE})")
	f.IntVar(&o.saveLimit, "save-keys-limit", 5_000_000, "--save-keys holds every distinct key in memory: stop holding new ones past this many")
}

// realUsed reports whether the real-keys mode was asked for.
func (o *realOpts) used() bool { return o.fromFile != "" || o.fromTopic != "" }

// realReport is the JSON document of `kbench keys --from-file/--from-topic`.
type realReport struct {
	Source   realSource              `json:"source"`
	Records  int64                   `json:"records"`
	Messages int64                   `json:"messages"`
	Keyless  int64                   `json:"keyless"`
	Bad      *int64                  `json:"bad_lines,omitempty"`
	Partial  bool                    `json:"partial"`
	Distinct realDistinct            `json:"distinct"`
	HotKeys  realHot                 `json:"hot_keys"`
	Topic    *realTopic              `json:"topic,omitempty"`
	Explain  *keying.PlacementResult `json:"placement,omitempty"`
	WhatIf   []keying.WhatIfRow      `json:"what_if"`
}

type realSource struct {
	Kind   string `json:"kind"` // file | topic
	Name   string `json:"name"`
	Format string `json:"format,omitempty"`
}

type realDistinct struct {
	Estimate int64   `json:"estimate"`
	StdError float64 `json:"std_error"`
	Method   string  `json:"method"`
}

type realHot struct {
	Exact    bool `json:"exact"`
	Counters int  `json:"counters"`
	// Error: the most the sketch over-states any key's count; a key is
	// listed only when its guaranteed count exceeds it.
	Error int64           `json:"error"`
	Keys  []keying.HotKey `json:"keys"`
}

type realTopic struct {
	Partitions   int     `json:"partitions"`
	StartOffsets []int64 `json:"start_offsets"`
	EndOffsets   []int64 `json:"end_offsets"`
	// OffsetsLoad: end - start per partition (records held, by offsets).
	OffsetsLoad []int64     `json:"offsets_load"`
	OffsetsSkew keying.Skew `json:"offsets_skew"`
	From        []int64     `json:"from"`
	// SampleLoad: records read per partition.
	SampleLoad []int64     `json:"sample_load"`
	SampleSkew keying.Skew `json:"sample_skew"`
	StoppedBy  string      `json:"stopped_by"`
}

func runRealKeys(cmd *cobra.Command, args []string, ko *keysOpts, o *realOpts) error {
	flags := cmd.Flags()
	if o.fromFile != "" && o.fromTopic != "" {
		return exitcode.Configf("--from-file and --from-topic are exclusive")
	}
	for _, name := range []string{"strategy", "messages", "seed", "services", "set"} {
		if flags.Changed(name) {
			return exitcode.Configf("--%s applies to generated keys, not to --from-file/--from-topic", name)
		}
	}
	if len(args) > 0 {
		return exitcode.Configf("--from-file/--from-topic take no FILE|PROFILE argument (got %q)", args[0])
	}
	if ko.format != "text" && ko.format != "json" {
		return exitcode.Configf("--format must be text or json, got %q", ko.format)
	}
	if ko.repartition < 0 || (flags.Changed("partitions") && ko.partitions < 1) {
		return exitcode.Configf("--partitions and --repartition must be >= 1")
	}
	if o.saveLimit < 1 {
		return exitcode.Configf("--save-keys-limit must be >= 1, got %d", o.saveLimit)
	}
	partitioners, err := keysList(ko.partitioners, "--partitioner", keying.Names())
	if err != nil {
		return err
	}
	var salts []keying.SaltHot
	for _, v := range o.saltHot {
		s, err := keying.ParseSaltHot(v)
		if err != nil {
			return exitcode.Configf("--salt-hot %v", err)
		}
		salts = append(salts, s)
	}
	var save *keysource.KeyCounts
	if o.saveKeys != "" {
		save = keysource.NewKeyCounts(o.saveLimit)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()

	var rep *realReport
	if o.fromFile != "" {
		rep, err = realFromFile(ctx, cmd, ko, o, partitioners, salts, save)
	} else {
		rep, err = realFromTopic(ctx, cmd, ko, o, partitioners, salts, save)
	}
	if err != nil {
		return err
	}
	if save != nil {
		if err := saveKeys(cmd.ErrOrStderr(), o.saveKeys, save); err != nil {
			return exitcode.With(exitcode.Runtime, err)
		}
	}
	out := cmd.OutOrStdout()
	if ko.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = realText(out, rep, ko.repartition)
	}
	if err != nil {
		return err
	}
	if rep.Partial {
		fmt.Fprintln(cmd.ErrOrStderr(), "kbench: interrupted; figures cover what was read")
		return silent(exitcode.Interrupted)
	}
	return nil
}

// partitionCounts: the current count, then the --repartition one.
func partitionCounts(current, repartition int) []int {
	ps := []int{current}
	if repartition > 0 && repartition != current {
		ps = append(ps, repartition)
	}
	return ps
}

func realFromFile(ctx context.Context, cmd *cobra.Command, ko *keysOpts, o *realOpts, parts []string, salts []keying.SaltHot, save *keysource.KeyCounts) (*realReport, error) {
	fl := cmd.Flags()
	if fl.Changed("brokers") || fl.Changed("sample") || fl.Changed("since") || fl.Changed("from-offset") {
		return nil, exitcode.Configf("--brokers, --sample, --since and --from-offset apply to --from-topic")
	}
	format, err := keysource.ResolveFormat(o.fromFile, o.inputFormat)
	if err != nil {
		return nil, exitcode.Configf("--input-format: %v", err)
	}
	if format == keysource.FormatText && (cmd.Flags().Changed("key-column") || o.countColumn != "") {
		return nil, exitcode.Configf("--key-column and --count-column apply to csv and jsonl input (text lines are KEY or KEY<TAB>COUNT)")
	}
	var in io.Reader = cmd.InOrStdin()
	if o.fromFile == "-" {
		in = keysource.ContextReader(ctx, in)
		fmt.Fprintln(cmd.ErrOrStderr(), "kbench keys: reading keys from stdin (Ctrl-C stops and reports what was read)")
	} else {
		f, err := os.Open(o.fromFile)
		if err != nil {
			return nil, exitcode.With(exitcode.Config, err)
		}
		defer f.Close()
		in = f
	}
	r, err := keysource.NewReader(in, o.fromFile, keysource.FileOptions{Format: format, KeyColumn: o.keyColumn, CountColumn: o.countColumn})
	if err != nil {
		return nil, exitcode.With(exitcode.Config, err)
	}
	current := ko.partitions
	if current == 0 {
		current = 6
	}
	census, err := keying.NewCensus(parts, partitionCounts(current, ko.repartition), 0)
	if err != nil {
		return nil, exitcode.With(exitcode.Config, err)
	}
	stderr := cmd.ErrOrStderr()
	start := time.Now()
	st, err := keysource.Scan(ctx, r, keysource.ScanOptions{
		SkipBad:  o.skipBad,
		Progress: func(n int64) { progressLine(stderr, n, start) },
	}, func(key []byte, n int64) {
		census.Add(key, n)
		if save != nil {
			save.Add(key, n)
		}
	})
	if err != nil {
		var le *keysource.LineError
		if errors.As(err, &le) {
			return nil, exitcode.With(exitcode.Config, fmt.Errorf("%w (--skip-bad counts and skips bad lines)", err))
		}
		return nil, exitcode.With(exitcode.Runtime, err)
	}
	if time.Since(start) >= time.Second {
		progressLine(stderr, st.Records, start)
	}
	res := census.Result()
	rep := newRealReport(res, salts)
	rep.Source = realSource{Kind: "file", Name: o.fromFile, Format: format}
	rep.Records, rep.Messages, rep.Keyless, rep.Partial = st.Records, st.Messages, st.KeylessMessages, st.Interrupted
	rep.Bad = &st.Bad
	for _, b := range st.FirstBad {
		fmt.Fprintln(stderr, "kbench: skipped "+b)
	}
	if st.Bad > int64(len(st.FirstBad)) {
		fmt.Fprintf(stderr, "kbench: skipped %d bad lines in all\n", st.Bad)
	}
	return rep, nil
}

// progressLine reports reading progress on stderr.
func progressLine(w io.Writer, n int64, start time.Time) {
	el := time.Since(start).Seconds()
	fmt.Fprintf(w, "kbench keys: %d records read in %.0fs (%.2fM/s)\n", n, el, float64(n)/el/1e6)
}

func newRealReport(res keying.CensusResult, salts []keying.SaltHot) *realReport {
	rep := &realReport{
		Distinct: realDistinct{Estimate: res.Distinct, StdError: keying.DistinctStdError, Method: "HyperLogLog (2^16 registers)"},
		HotKeys:  realHot{Exact: res.HotExact, Counters: keying.CensusTopCapacity, Error: res.HotError, Keys: []keying.HotKey{}},
		WhatIf:   keying.WhatIf(res, salts),
	}
	for i, hk := range res.Hot {
		if i == keying.TopN {
			break
		}
		rep.HotKeys.Keys = append(rep.HotKeys.Keys, hk)
	}
	return rep
}

func saveKeys(stderr io.Writer, path string, kc *keysource.KeyCounts) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	written, skipped, err := kc.Write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "kbench: %d distinct keys saved to %s\n", written, path)
	if skipped > 0 {
		fmt.Fprintf(stderr, "kbench: %d keys holding a line break could not be saved as lines\n", skipped)
	}
	if kc.Over {
		fmt.Fprintf(stderr, "kbench: more distinct keys than --save-keys-limit; keys past the limit were not saved\n")
	}
	return nil
}

func realFromTopic(ctx context.Context, cmd *cobra.Command, ko *keysOpts, o *realOpts, parts []string, salts []keying.SaltHot, save *keysource.KeyCounts) (*realReport, error) {
	if len(o.brokers) == 0 {
		return nil, exitcode.Configf("--from-topic needs --brokers")
	}
	if o.skipBad || cmd.Flags().Changed("input-format") || cmd.Flags().Changed("key-column") || o.countColumn != "" {
		return nil, exitcode.Configf("--input-format, --key-column, --count-column and --skip-bad apply to --from-file")
	}
	if o.sample < 0 || (o.since != 0 && o.fromOffset != -1) || o.since < 0 || o.fromOffset < -1 {
		return nil, exitcode.Configf("--sample >= 0; at most one of --since (> 0) and --from-offset (>= 0)")
	}
	stderr := cmd.ErrOrStderr()
	start := time.Now()
	tp, err := topic.Open(ctx, topic.Options{
		Brokers: o.brokers, Topic: o.fromTopic, Sample: o.sample, Since: o.since, FromOffset: o.fromOffset,
		Progress: func(n int64) { progressLine(stderr, n, start) },
	})
	if err != nil {
		if errors.Is(err, topic.ErrNoTopic) {
			return nil, exitcode.With(exitcode.Config, fmt.Errorf("--from-topic %w (kbench never creates it)", err))
		}
		return nil, exitcode.With(exitcode.Runtime, err)
	}
	defer tp.Close()
	info := &tp.Info
	current := info.Partitions
	if ko.partitions > 0 {
		current = ko.partitions
	}
	census, err := keying.NewCensus(parts, partitionCounts(current, ko.repartition), 0)
	if err != nil {
		return nil, exitcode.With(exitcode.Config, err)
	}
	check := keying.NewPlacementCheck(nil, info.Partitions)
	err = tp.Read(ctx, func(key []byte, p int) {
		if len(key) == 0 {
			return
		}
		check.Observe(key, p)
		census.Add(key, 1)
		if save != nil {
			save.Add(key, 1)
		}
	})
	if err != nil {
		return nil, exitcode.With(exitcode.Runtime, err)
	}
	if time.Since(start) >= time.Second {
		progressLine(stderr, info.Records(), start)
	}
	res := census.Result()
	rep := newRealReport(res, salts)
	rep.Source = realSource{Kind: "topic", Name: o.fromTopic}
	rep.Records, rep.Messages, rep.Keyless = info.Records(), info.Records(), info.Keyless
	rep.Partial = info.StoppedBy == "interrupted"
	t := &realTopic{
		Partitions: info.Partitions, StartOffsets: info.Start, EndOffsets: info.End, From: info.From,
		SampleLoad: info.Read, SampleSkew: keying.ComputeSkew(info.Read), StoppedBy: info.StoppedBy,
	}
	for p := range info.Start {
		t.OffsetsLoad = append(t.OffsetsLoad, info.End[p]-info.Start[p])
	}
	t.OffsetsSkew = keying.ComputeSkew(t.OffsetsLoad)
	rep.Topic = t
	pr := check.Result()
	rep.Explain = &pr
	return rep, nil
}

// realText renders a real-keys report.
func realText(w io.Writer, r *realReport, repartition int) error {
	src := r.Source.Name
	if r.Source.Format != "" {
		src += " (" + r.Source.Format + ")"
	}
	fmt.Fprintf(w, "kbench keys: %s %s: %d records, %d messages", r.Source.Kind, src, r.Records, r.Messages)
	if r.Keyless > 0 {
		fmt.Fprintf(w, ", %d keyless (left out of the key analysis)", r.Keyless)
	}
	if r.Bad != nil && *r.Bad > 0 {
		fmt.Fprintf(w, ", %d bad lines skipped", *r.Bad)
	}
	if r.Partial {
		fmt.Fprint(w, " (interrupted: partial)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "distinct keys: ~%d (%s, ±%.2f%% standard error)\n", r.Distinct.Estimate, r.Distinct.Method, 100*r.Distinct.StdError)
	if r.Topic != nil {
		topicText(w, r)
	}
	hotText(w, r)
	fmt.Fprintln(w)
	return whatIfText(w, r.WhatIf, repartition)
}

func topicText(w io.Writer, r *realReport) {
	t := r.Topic
	var held int64
	for _, x := range t.OffsetsLoad {
		held += x
	}
	fmt.Fprintf(w, "\ntopic %s: %d partitions, %d records by offsets; read %d (stopped: %s)\n", r.Source.Name, t.Partitions, held, r.Records, t.StoppedBy)
	fmt.Fprintf(w, "  by offsets  max/mean %.2f  hottest %.1f%%  %s\n", t.OffsetsSkew.MaxMean, 100*t.OffsetsSkew.HottestShare, loadBar(t.OffsetsLoad, 48))
	fmt.Fprintf(w, "  in sample   max/mean %.2f  hottest %.1f%%  %s\n", t.SampleSkew.MaxMean, 100*t.SampleSkew.HottestShare, loadBar(t.SampleLoad, 48))
	e := r.Explain
	if e == nil {
		return
	}
	fmt.Fprintf(w, "\nwhich partitioner explains the placement (%d keyed records on %d partitions):\n", e.Keyed, e.Partitions)
	for _, c := range e.Candidates {
		mark := ""
		if c.Partitioner == e.Best && c.Share >= 0.999 {
			mark = "  <- every sampled key is where it places it"
		}
		fmt.Fprintf(w, "  %-8s %6.1f%%%s\n", c.Partitioner, 100*c.Share, mark)
	}
	if e.Keyed > 0 && len(e.Disagreeing) > 0 {
		var best keying.PlacementCandidate
		for _, c := range e.Candidates {
			if c.Partitioner == e.Best {
				best = c
			}
		}
		fmt.Fprintf(w, "  no partitioner explains every key: %s places %.1f%%; keys it does not explain (found on / predicted by %s):\n",
			e.Best, 100*best.Share, candidateNames(e))
		for _, d := range e.Disagreeing {
			fmt.Fprintf(w, "    %-32s p%d / %s\n", trimKey(d.Key, 32), d.Partition, joinInts(d.Predicted))
		}
	}
}

func candidateNames(e *keying.PlacementResult) string {
	var n []string
	for _, c := range e.Candidates {
		n = append(n, c.Partitioner)
	}
	return strings.Join(n, ",")
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("p%d", x)
	}
	return strings.Join(s, ",")
}

func trimKey(k string, n int) string {
	if len(k) > n {
		return k[:n-1] + "…"
	}
	return k
}

func hotText(w io.Writer, r *realReport) {
	h := r.HotKeys
	how := "exact counts"
	if !h.Exact {
		how = fmt.Sprintf("Space-Saving, %d counters: guaranteed count and share, +up to that many more; listed when above the sketch's error %d", h.Counters, h.Error)
	}
	fmt.Fprintf(w, "\nhot keys (%s):\n", how)
	if len(h.Keys) == 0 {
		fmt.Fprintln(w, "  none: no key's guaranteed count stands out of the sketch's error")
		return
	}
	for _, k := range h.Keys {
		line := fmt.Sprintf("  %-32s %12d  %6.2f%%", trimKey(k.Key, 32), k.Count, 100*k.Share)
		if !h.Exact {
			line += fmt.Sprintf("  +%d", k.Error)
		}
		fmt.Fprintln(w, line)
	}
}

func whatIfText(w io.Writer, rows []keying.WhatIfRow, repartition int) error {
	fmt.Fprintln(w, "what-if (loads exact per key placement; salted rows: each hot key's guaranteed count split evenly over its salts):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "PARTITIONER\tP\tSALT\tMAX/MEAN\tCOV\tGINI\tJAIN\tIDLE\tHOTTEST\tKEYS\tORDERED\tSPREAD\tTOP KEY"
	if repartition > 0 {
		head += "\tREMAP KEYS/TRAFFIC"
	}
	fmt.Fprintln(tw, head+"\tLOAD")
	for _, r := range rows {
		hot := 0
		for i, x := range r.Load {
			if x > r.Load[hot] {
				hot = i
			}
		}
		salt := "-"
		if r.Salt != nil {
			salt = fmt.Sprintf("top %d × %d", r.Salt.K, r.Salt.S)
		}
		ordered, spread := "-", "-"
		if r.Ordered != nil {
			ordered = fmt.Sprintf("%.1f%%", 100**r.Ordered)
		}
		if r.Spread != nil {
			spread = fmt.Sprint(*r.Spread)
		}
		top := "-"
		if r.Top != nil {
			top = fmt.Sprintf("%s %.1f%%", trimKey(r.Top.Key, 28), 100*r.Top.Share)
		}
		line := fmt.Sprintf("%s\t%d\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%d\tp%d %.1f%%\t~%d\t%s\t%s\t%s",
			r.Partitioner, r.Partitions, salt, r.Skew.MaxMean, r.Skew.CoV, r.Skew.Gini, r.Skew.Jain, r.Skew.Idle,
			hot, 100*r.Skew.HottestShare, r.Distinct, ordered, spread, top)
		if repartition > 0 {
			rs := "-"
			if r.Remap != nil {
				rs = fmt.Sprintf("%.1f%% / %.1f%%", 100*r.Remap.Keys, 100*r.Remap.Traffic)
			}
			line += "\t" + rs
		}
		fmt.Fprintln(tw, line+"\t"+loadBar(r.Load, 48))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nORDERED: messages whose key stays on one partition; SPREAD: most partitions one key spans; REMAP: keys / traffic that move from the current partition count.")
	return nil
}
