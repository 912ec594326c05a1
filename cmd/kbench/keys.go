package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/traffic"
)

func init() { subcommands = append(subcommands, newKeysCmd) }

// keysAllStrategies is what `kbench keys` compares without a file or
// --strategy.
var keysAllStrategies = keying.StrategyNames()

type keysOpts struct {
	strategies   string
	partitioners string
	partitions   int
	messages     int64
	repartition  int
	seed         int64
	services     int
	format       string
	sets         []string
}

// keysLong is `kbench keys --help`.
const keysLong = `Three uses:

1. Generated keys (default): generate a workload's messages offline (no
broker), key them with one or more strategies, place them with one or more
partitioners exactly as the real clients do, and print one row per
strategy x partitioner.

2. Real keys from a file, --from-file FILE|- : one key per line, KEY<TAB>COUNT
lines, or a CSV / JSON-lines column (--key-column, --count-column). Any size
streams in bounded memory: every key is placed as it is read under every
partitioner and partition count, so per-partition loads are exact; distinct
keys are a HyperLogLog estimate (its standard error is printed); hot keys come
from a Space-Saving sketch with guaranteed counts. A bad line stops the run
with FILE:LINE and exit 2, or with --skip-bad is counted and shown.

3. Real keys from an existing topic, --from-topic TOPIC --brokers ... : reads
keys (never values) strictly read-only — assigned partitions, no group, no
commit, no write, no topic creation — bounded by --sample N (default: the
newest 1,000,000 records, each partition in proportion to its size),
--since DURATION or --from-offset N. Reports the topic's per-partition load
(from its offsets and from the sample), its hot keys, and which partitioner
explains the placement: for murmur2 (Java), crc32 (librdkafka/kcat) and fnv1a
(Sarama, kafka-go Hash), the share of sampled keyed records it puts where
they are. Mixed clients show up as no partitioner near 100%, with example
keys the best one does not explain. Ctrl-C prints what was read (exit 130).

For real keys the what-if table lays out every --partitioner (default
murmur2,crc32,fnv1a) x the current and --repartition partition counts x
--salt-hot k:S (salt the k hottest keys with S salts): skew, ordering, remap
share, hottest partition, on the team's own keys. --save-keys FILE writes
the keys read as KEY<TAB>COUNT for 'kbench run' to replay with
workload.traffic.keys: {from: FILE}.

Columns:
  skew          max/mean, CoV, Gini, Jain's index, hottest partition's share, idle
                partitions (on messages; bytes_skew in JSON)
  keys          distinct keys and the hottest key with its share
  ordering      share of messages whose order_by entity (real keys: the key)
                lives on one partition, and the most partitions one spans
  remap         with --repartition P': share of keys and of traffic that move
                when the topic grows to P' partitions
  load          a bar per partition

Generated keys: without FILE|PROFILE the built-in defaults are used (5
services, Zipf 1.1) and every strategy is compared. With one, its workload,
keying, topic, seed and producers are used (every matrix variant that changes
them is analysed), and the flags override them. The runner draws every
message from the same code path, so 'kbench run' with the same seed and
workload.messages reports the same partition counts.

Strategies: none, path, service, node, composite, random, salted.
Partitioners: murmur2 (Java default), crc32 (librdkafka/kcat default),
fnv1a (Sarama, kafka-go Hash), round-robin, sticky (KIP-794), jump.`

func newKeysCmd() *cobra.Command {
	var o keysOpts
	var ro realOpts
	cmd := &cobra.Command{
		Use:   "keys [FILE|PROFILE]",
		Short: "Key analysis: balance, ordering, hot keys and remapping per partitioner, on generated or real keys",
		Long:  keysLong,
		Example: `  # generated keys
  kbench keys
  kbench keys --strategy path,service,composite --partitioner murmur2,crc32,jump --partitions 12
  kbench keys keying-strategies --repartition 16
  kbench keys my.yaml --set workload.traffic.popularity.s=1.5 --format json

  # real keys from a file (or stdin)
  kbench keys --from-file customer-ids.txt --partitions 12 --repartition 24 --salt-hot 3:8
  kbench keys --from-file export.csv --key-column account_id --count-column events
  zcat access.log.gz | cut -f3 | kbench keys --from-file - --partitions 12

  # real keys from an existing topic (read-only)
  kbench keys --from-topic orders --brokers kafka:9092 --sample 200000
  kbench keys --from-topic orders --brokers kafka:9092 --since 1h --save-keys orders-keys.tsv

  # where keys land
  kbench keys locate --partitioner crc32 --partitions 12 order-service payment-service
  printf 'a\nb\n' | kbench keys locate --partitioner murmur2 --partitions 6`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return exitcode.Configf("keys takes at most one FILE or PROFILE, got %d (see kbench keys --help)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if ro.used() {
				return runRealKeys(cmd, args, &o, &ro)
			}
			return runKeys(cmd, args, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.strategies, "strategy", "", "key strategies to compare, comma-separated (default: the file's, else all)")
	f.StringVar(&o.partitioners, "partitioner", "", "partitioners to compare, comma-separated (default: the file's, else murmur2; real keys: murmur2,crc32,fnv1a)")
	f.IntVar(&o.partitions, "partitions", 0, "partitions (default: the file's topic.partitions, else 6; --from-topic: the topic's)")
	f.Int64Var(&o.messages, "messages", 100000, "messages to generate (a file's workload.messages wins unless this is given)")
	f.IntVar(&o.repartition, "repartition", 0, "also report remap_share when partitions grow to this many")
	f.Int64Var(&o.seed, "seed", 0, "event seed (default: the file's, else 1)")
	f.IntVar(&o.services, "services", 0, "number of built-in services (replaces the file's services or list)")
	f.StringVar(&o.format, "format", "text", "output: text or json")
	f.StringArrayVar(&o.sets, "set", nil, "override a field of FILE|PROFILE: `path=value` (repeatable)")
	addRealFlags(cmd, &ro)
	cmd.AddCommand(newKeysLocateCmd())
	return cmd
}

// keysRow is one strategy x partitioner of `kbench keys --format json`.
type keysRow struct {
	Variant     string           `json:"variant,omitempty"`
	Strategy    string           `json:"strategy"`
	Partitioner string           `json:"partitioner"`
	Partitions  int              `json:"partitions"`
	Messages    int64            `json:"messages"`
	Load        []int64          `json:"load"`
	Skew        keying.Skew      `json:"skew"`
	BytesSkew   keying.Skew      `json:"bytes_skew"`
	Keys        keysRowKeys      `json:"keys"`
	Ordering    keysRowOrdering  `json:"ordering"`
	RemapShare  *keysRowRemap    `json:"remap_share,omitempty"`
	analysis    *keying.Analysis `json:"-"`
}

type keysRowKeys struct {
	Distinct int64        `json:"distinct"`
	Top      []keysRowHot `json:"top"`
}

type keysRowHot struct {
	Key   string  `json:"key"`
	Share float64 `json:"share"`
}

type keysRowOrdering struct {
	PreservedShare float64 `json:"preserved_share"`
	MaxSpread      int     `json:"max_spread"`
}

type keysRowRemap struct {
	Keys    float64 `json:"keys"`
	Traffic float64 `json:"traffic"`
}

// keysJob is one row to compute.
type keysJob struct {
	variant string
	exp     workloads.Experiment
}

func runKeys(cmd *cobra.Command, args []string, o *keysOpts) error {
	flags := cmd.Flags()
	if err := o.validate(flags.Changed); err != nil {
		return err
	}
	strategies, err := keysList(o.strategies, "--strategy", keying.StrategyNames())
	if err != nil {
		return err
	}
	partitioners, err := keysList(o.partitioners, "--partitioner", keying.Names())
	if err != nil {
		return err
	}
	bases, source, err := keysBases(args, o.sets)
	if err != nil {
		return err
	}
	if len(args) == 0 && len(strategies) == 0 {
		strategies = keysAllStrategies
	}
	jobs := keysJobs(bases, strategies, partitioners, o, flags.Changed)
	rows, err := keysAnalyseAll(jobs, o.repartition)
	if err != nil {
		return exitcode.With(exitcode.Config, err)
	}
	out := cmd.OutOrStdout()
	if o.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Rows []keysRow `json:"rows"`
		}{rows})
	}
	return keysText(out, source, rows, jobs, o.repartition)
}

// validate checks the flags of generated-key analysis.
func (o *keysOpts) validate(changed func(string) bool) error {
	switch {
	case o.format != "text" && o.format != "json":
		return exitcode.Configf("--format must be text or json, got %q", o.format)
	case changed("partitions") && o.partitions < 1:
		return exitcode.Configf("--partitions must be >= 1, got %d", o.partitions)
	case o.messages < 1:
		return exitcode.Configf("--messages must be >= 1, got %d", o.messages)
	case o.repartition < 0:
		return exitcode.Configf("--repartition must be >= 1, got %d", o.repartition)
	case changed("services") && o.services < 1:
		return exitcode.Configf("--services must be >= 1, got %d", o.services)
	}
	return nil
}

// keysBases is the experiments to analyse: the defaults, or every variant
// of a file or profile; and where they came from.
func keysBases(args, sets []string) ([]keysJob, string, error) {
	if len(args) == 0 {
		if len(sets) > 0 {
			return nil, "", exitcode.Configf("--set needs a FILE or PROFILE")
		}
		return []keysJob{{exp: workloads.Defaults()}}, "built-in defaults", nil
	}
	plan, err := workloads.Resolve(args[0], sets)
	if err != nil {
		return nil, "", err
	}
	var bases []keysJob
	for _, v := range plan.Variants {
		bases = append(bases, keysJob{variant: v.Name, exp: *v.Exp})
	}
	return bases, plan.Source, nil
}

// keysJobs is one job per base x strategy x partitioner with the flags
// applied, leaving out rows a matrix axis that does not touch the keys
// (acks, batch size...) would only repeat.
func keysJobs(bases []keysJob, strategies, partitioners []string, o *keysOpts, changed func(string) bool) []keysJob {
	var jobs []keysJob
	seen := map[string]bool{}
	for _, b := range bases {
		e := b.exp
		if changed("partitions") {
			e.Topic.Partitions = o.partitions
		}
		if changed("seed") {
			e.Seed = o.seed
		}
		if changed("services") {
			e.Workload.Traffic.Services = o.services
			e.Workload.Traffic.List = nil
		}
		if changed("messages") || e.Workload.Messages <= 0 {
			e.Workload.Messages = o.messages
		}
		ss, ps := strategies, partitioners
		if len(ss) == 0 {
			ss = []string{e.Workload.Keying.Strategy}
		}
		if len(ps) == 0 {
			ps = []string{e.Workload.Keying.Partitioner}
		}
		for _, s := range ss {
			for _, p := range ps {
				j := keysJob{variant: b.variant, exp: e}
				j.exp.Workload.Keying.Strategy = s
				j.exp.Workload.Keying.Partitioner = p
				if sig := keysSignature(&j.exp); !seen[sig] {
					seen[sig] = true
					jobs = append(jobs, j)
				}
			}
		}
	}
	variants := map[string]bool{}
	for _, j := range jobs {
		variants[j.variant] = true
	}
	if len(variants) == 1 {
		for i := range jobs {
			jobs[i].variant = ""
		}
	}
	return jobs
}

// keysAnalyseAll computes the rows, as many at once as there are CPUs.
func keysAnalyseAll(jobs []keysJob, repartition int) ([]keysRow, error) {
	rows := make([]keysRow, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows[i], errs[i] = keysAnalyse(&jobs[i], repartition)
		}()
	}
	wg.Wait()
	return rows, errors.Join(errs...)
}

// keysList parses a comma list of names, checking each against valid.
func keysList(s, flag string, valid []string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(valid, f) {
			return nil, exitcode.Configf("%s: unknown %q (want one of %s)", flag, f, strings.Join(valid, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// keysSignature identifies what shapes the keys of an experiment.
func keysSignature(e *workloads.Experiment) string {
	b, _ := json.Marshal(struct {
		T  workloads.Traffic
		K  workloads.Keying
		P  int
		S  int64
		I  int
		B  int
		W  workloads.Workload
		Wu workloads.Duration
		D  workloads.Duration
	}{e.Workload.Traffic, e.Workload.Keying, e.Topic.Partitions, e.Seed, e.Producer.Instances, e.Producer.BatchSize, e.Workload, e.Warmup, e.Duration})
	return string(b)
}

func keysAnalyse(j *keysJob, repartition int) (keysRow, error) {
	e := &j.exp
	a, err := traffic.Simulate(e, e.Workload.Messages, repartition)
	if err != nil {
		return keysRow{}, err
	}
	r := keysRow{
		Variant:     j.variant,
		Strategy:    e.Workload.Keying.Strategy,
		Partitioner: e.Workload.Keying.Partitioner,
		Partitions:  a.Partitions,
		Messages:    a.Messages,
		Load:        a.Load,
		Skew:        a.Skew,
		BytesSkew:   a.BytesSkew,
		Keys:        keysRowKeys{Distinct: a.Distinct, Top: []keysRowHot{}},
		Ordering:    keysRowOrdering{PreservedShare: a.Ordering.PreservedShare, MaxSpread: a.Ordering.MaxSpread},
		analysis:    &a,
	}
	if e.Workload.Traffic.Keys != nil {
		r.Strategy = "replay" // workload.traffic.keys replaces the strategy
	}
	for _, t := range a.Top {
		r.Keys.Top = append(r.Keys.Top, keysRowHot{Key: t.Key, Share: t.Share})
	}
	if a.Remap != nil {
		r.RemapShare = &keysRowRemap{Keys: a.Remap.Keys, Traffic: a.Remap.Traffic}
	}
	return r, nil
}

func keysText(w io.Writer, source string, rows []keysRow, jobs []keysJob, repartition int) error {
	if len(rows) == 0 {
		return nil
	}
	e := &jobs[0].exp
	order := e.Workload.Keying.OrderBy
	if order == "" {
		order = "service"
	}
	if e.Workload.Traffic.Keys != nil {
		order = "key"
	}
	fmt.Fprintf(w, "kbench keys: %s, %d messages, seed %d, order_by %s\n\n", source, e.Workload.Messages, e.Seed, order)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hasVariant := rows[0].Variant != ""
	head := "STRATEGY\tPARTITIONER\tP\tMAX/MEAN\tCOV\tGINI\tJAIN\tIDLE\tHOTTEST\tKEYS\tORDERED\tSPREAD\tTOP KEY"
	if repartition > 0 {
		head += fmt.Sprintf("\tREMAP→%d KEYS/TRAFFIC", repartition)
	}
	head += "\tLOAD"
	if hasVariant {
		head = "VARIANT\t" + head
	}
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		hot := 0
		for i, x := range r.Load {
			if x > r.Load[hot] {
				hot = i
			}
		}
		top := "-"
		if len(r.Keys.Top) > 0 {
			k := r.Keys.Top[0].Key
			if len(k) > 28 {
				k = k[:27] + "…"
			}
			top = fmt.Sprintf("%s %.1f%%", k, 100*r.Keys.Top[0].Share)
		}
		distinct := fmt.Sprint(r.Keys.Distinct)
		if r.analysis != nil && !r.analysis.DistinctExact {
			distinct = "~" + distinct
		}
		line := fmt.Sprintf("%s\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%d\tp%d %.1f%%\t%s\t%.1f%%\t%d\t%s",
			r.Strategy, r.Partitioner, r.Partitions, r.Skew.MaxMean, r.Skew.CoV, r.Skew.Gini, r.Skew.Jain, r.Skew.Idle,
			hot, 100*r.Skew.HottestShare, distinct, 100*r.Ordering.PreservedShare, r.Ordering.MaxSpread, top)
		if repartition > 0 {
			rs := "-"
			if r.RemapShare != nil {
				rs = fmt.Sprintf("%.1f%% / %.1f%%", 100*r.RemapShare.Keys, 100*r.RemapShare.Traffic)
			}
			line += "\t" + rs
		}
		line += "\t" + loadBar(r.Load, 48)
		if hasVariant {
			line = r.Variant + "\t" + line
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nMAX/MEAN 1 = even; GINI 0 = even; JAIN 1 = even. HOTTEST: busiest partition and its share.")
	fmt.Fprintln(w, "ORDERED: messages whose order_by entity stays on one partition; SPREAD: most partitions one entity spans.")
	return nil
}

// loadBar draws one block per partition scaled to the busiest (partitions
// summed into at most width buckets); an empty partition is a dot.
func loadBar(load []int64, width int) string {
	buckets := load
	if len(load) > width {
		buckets = make([]int64, width)
		for i, x := range load {
			buckets[i*width/len(load)] += x
		}
	}
	var maxV int64
	for _, x := range buckets {
		maxV = max(maxV, x)
	}
	const blocks = "▁▂▃▄▅▆▇█"
	runes := []rune(blocks)
	var b strings.Builder
	for _, x := range buckets {
		if x == 0 || maxV == 0 {
			b.WriteRune('·')
			continue
		}
		i := int((x*int64(len(runes)) - 1) / maxV)
		b.WriteRune(runes[min(i, len(runes)-1)])
	}
	return b.String()
}

func newKeysLocateCmd() *cobra.Command {
	var partitioner string
	var partitions int
	cmd := &cobra.Command{
		Use:   "locate [KEY...]",
		Short: "Print the partition each key lands on: KEY<TAB>PARTITION",
		Long: `Print KEY<TAB>PARTITION for each key, placed exactly as the named
partitioner's client does. Keys come from the arguments, or one per line on
stdin when there are none. Keyless placement (round-robin, sticky, random)
depends on history and is not what this answers: an empty key prints the
partitioner's keyless choice for a fresh producer.`,
		Example: `  kbench keys locate --partitioner murmur2 --partitions 12 order-service payment-service
  kbench keys locate --partitioner crc32 --partitions 6 < keys.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if partitions < 1 {
				return exitcode.Configf("--partitions must be >= 1, got %d", partitions)
			}
			part, err := keying.NewPartitioner(partitioner, keying.PartitionerOptions{Seed: 1})
			if err != nil {
				return exitcode.Configf("--partitioner: %v", err)
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			emit := func(k string) {
				fmt.Fprintf(out, "%s\t%d\n", k, part.Partition([]byte(k), partitions))
			}
			if len(args) > 0 {
				for _, k := range args {
					emit(k)
				}
				return out.Flush()
			}
			sc := bufio.NewScanner(cmd.InOrStdin())
			sc.Buffer(make([]byte, 64*1024), 16<<20)
			for sc.Scan() {
				emit(strings.TrimSuffix(sc.Text(), "\r"))
			}
			if err := sc.Err(); err != nil {
				return exitcode.With(exitcode.Runtime, fmt.Errorf("reading keys: %w", err))
			}
			return out.Flush()
		},
	}
	cmd.Flags().StringVar(&partitioner, "partitioner", "murmur2", "partitioner: "+strings.Join(keying.Names(), ", "))
	cmd.Flags().IntVar(&partitions, "partitions", 6, "number of partitions")
	return cmd
}
