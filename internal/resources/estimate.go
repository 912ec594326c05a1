// Package resources estimates the memory a run needs before any load is
// sent, and what the machine has, so a run that cannot fit is refused with
// the numbers (exit 2) instead of dying of "out of memory" half-way.
//
// The estimate is a model, not a measurement: per-unit costs measured on
// kbench's own clients and the embedded broker (kfake), rounded up. It
// errs high for what is certain (partitions, clients, histograms) and
// leaves out what cannot be known in advance (an unthrottled run's
// backlog), which it names instead.
package resources

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/workloads"
)

// Per-unit costs (bytes), measured and rounded up.
const (
	// baseBytes: the process, the embedded broker's fixed state, the
	// result being built.
	baseBytes = 64 << 20
	// histogramBytes: one HDR histogram (1µs..1h, 3 digits): 188,570
	// bytes measured.
	histogramBytes = 192 << 10
	// brokerPartitionBytes: the embedded broker's state per partition
	// (about 700 bytes when created, more once it holds segments).
	brokerPartitionBytes = 2 << 10
	// Clients' connections and buffers, per driver: the peak RSS that
	// one more producer instance or group member adds, measured with
	// scripts/instances.sh (1, 2, 4 and 8 instances at 4,000 msg/s in
	// all against a broker in another process; slope per instance, its
	// histograms taken off, rounded up; the larger of two runs). Producer
	// instance on 6 partitions: kafka-go 6.1 MiB, franz-go 3.7 MiB;
	// member of a group on 8 partitions: kafka-go 1.7 MiB, franz-go 3.9
	// MiB (docs/scale.md).
	kafkaGoProducerBytes = 6 << 20
	franzGoProducerBytes = 3 << 20
	kafkaGoMemberBytes   = 2 << 20
	franzGoMemberBytes   = 4 << 20
	// producerPartitionBytes: per producer and partition, its counters,
	// key analyser and the client's batch state.
	producerPartitionBytes = 1 << 10
	// kafkaGoGroupPartitionBytes: kafka-go's group reader runs a reader,
	// a connection and its buffers per assigned partition.
	kafkaGoGroupPartitionBytes = 64 << 10
	// franzGoGroupPartitionBytes: franz-go's per-partition fetch state.
	franzGoGroupPartitionBytes = 8 << 10
	// recordOverhead: per record held (in flight or retained) beyond its
	// value: the kbench header, the key, the client's and broker's
	// bookkeeping.
	recordOverhead = 160
	// pacedInFlight: a paced producer holds at most about this much of
	// its rate in flight (acknowledgements arrive within it or the
	// in-flight bound stops it).
	pacedInFlight = 5 * time.Second
	// trimEvery: the embedded broker is trimmed of consumed records about
	// once a second.
	trimEvery = 2 * time.Second
)

// Part is one line of an estimate.
type Part struct {
	What  string
	Bytes int64
	// Path is the experiment field that sizes it (for errors).
	Path string
}

// Estimate is the peak memory one variant needs.
type Estimate struct {
	Variant string
	Parts   []Part
	// Unbounded names what the estimate leaves out because it grows with
	// the run (empty when nothing does).
	Unbounded string
	// Time is the variant's wall time: warmup, duration and at most the
	// drain.
	Time time.Duration
}

// Total is the sum of the parts.
func (e Estimate) Total() int64 {
	var n int64
	for _, p := range e.Parts {
		n += p.Bytes
	}
	return n
}

// Largest returns the part that costs most.
func (e Estimate) Largest() Part {
	var best Part
	for _, p := range e.Parts {
		if p.Bytes > best.Bytes {
			best = p
		}
	}
	return best
}

// mul is a*b saturating at a ceiling far above any machine, so absurd
// inputs (a billion partitions times a thousand groups) cannot overflow
// into a small number.
func mul(a, b int64) int64 {
	const ceiling = 1 << 60
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > ceiling/b {
		return ceiling
	}
	return a * b
}

// larger returns a's name when a > b, b's otherwise.
func larger(a, b int64, aName, bName string) string {
	if a > b {
		return aName
	}
	return bName
}

func add(xs ...int64) int64 {
	const ceiling = 1 << 60
	var n int64
	for _, x := range xs {
		n += x
		if n > ceiling {
			return ceiling
		}
	}
	return n
}

// For estimates variant name of exp; embedded says whether it runs on the
// embedded broker (which holds the topic's partitions and data in this
// process).
func For(name string, exp *workloads.Experiment, embedded bool) Estimate {
	e := Estimate{Variant: name, Time: exp.Warmup.D() + exp.Duration.D() + exp.Drain.D()}
	P := int64(exp.Topic.Partitions)
	size := int64(exp.Workload.Message.Size)
	rec := add(size, recordOverhead)
	e.Parts = append(e.Parts, Part{"kbench and its results", baseBytes, ""})
	if embedded {
		e.Parts = append(e.Parts, Part{fmt.Sprintf("%s partitions on the embedded broker", count(P)), mul(P, brokerPartitionBytes), "topic.partitions"})
	}

	// Producers: a client, four histograms, per-partition state, and
	// what they hold in flight.
	producerClient, memberClient := int64(kafkaGoProducerBytes), int64(kafkaGoMemberBytes)
	if exp.Producer.Driver == "franz-go" {
		producerClient, memberClient = franzGoProducerBytes, franzGoMemberBytes
	}
	n := int64(exp.Producer.Instances)
	per := add(producerClient, 4*histogramBytes, mul(P, producerPartitionBytes))
	e.Parts = append(e.Parts, Part{fmt.Sprintf("%s over %s partitions", plural(n, "producer instance"), count(P)), mul(n, per),
		larger(mul(n, mul(P, producerPartitionBytes)), mul(n, producerClient+4*histogramBytes), "topic.partitions", "producer.instances")})
	inflight := int64(exp.Producer.MaxInFlight)
	rate := exp.Workload.Rate
	if rate > 0 {
		perRate := int64(rate / float64(max(n, 1)) * pacedInFlight.Seconds())
		inflight = min(inflight, max(perRate, 1))
	}
	e.Parts = append(e.Parts, Part{"messages in flight", mul(mul(n, inflight), rec), "producer.max_in_flight"})

	// Consumer groups: every group reads every partition; each member is
	// a client with a histogram.
	groupPart := int64(kafkaGoGroupPartitionBytes)
	if exp.Producer.Driver == "franz-go" {
		groupPart = franzGoGroupPartitionBytes
	}
	var members, groups int64
	biggest, most := "consumers", 0
	for i, g := range exp.Consumers {
		if g.Instances > most {
			biggest, most = fmt.Sprintf("consumers.%d.instances", i), g.Instances
		}
		members += int64(g.Instances)
		groups++
	}
	if groups > 0 {
		e.Parts = append(e.Parts, Part{
			fmt.Sprintf("%s of %s over %s partitions", plural(groups, "consumer group"), plural(members, "member"), count(P)),
			add(mul(members, memberClient+histogramBytes), mul(mul(groups, P), groupPart)),
			larger(mul(mul(groups, P), groupPart), mul(members, memberClient+histogramBytes), "topic.partitions", biggest),
		})
	}

	if embedded {
		retained, unbounded := retainedBytes(exp, rec)
		e.Unbounded = unbounded
		e.Parts = append(e.Parts, Part{"data retained by the embedded broker", retained, "workload.rate"})
	}
	return e
}

// retainedBytes is what the embedded broker holds: what the slowest group
// has not consumed yet (consumed data is trimmed about once a second, a
// segment at a time). A group with a processing delay consumes at most
// instances/delay messages a second; the rest of the rate piles up for
// the whole run. An unthrottled run's backlog cannot be known in advance.
func retainedBytes(exp *workloads.Experiment, rec int64) (int64, string) {
	rate := exp.Workload.Rate
	run := (exp.Warmup.D() + exp.Duration.D()).Seconds()
	if rate <= 0 {
		if len(exp.Consumers) == 0 {
			return 0, ""
		}
		return 0, "an unthrottled run's backlog (what its consumers fall behind; the run warns at 2,000,000 messages)"
	}
	total := int64(rate * run)
	backlog := int64(rate * trimEvery.Seconds())
	for _, g := range exp.Consumers {
		d := g.Processing.Delay.D()
		if d <= 0 {
			continue
		}
		capacity := float64(g.Instances) / d.Seconds()
		if capacity < rate {
			backlog = max(backlog, int64((rate-capacity)*run))
		}
	}
	backlog = min(backlog, total)
	// A partly consumed segment stays until it is consumed whole: one
	// open segment per partition, of the size kbench gives the topic.
	seg := int64(broker.TopicSegmentBytes(exp.Topic.Partitions))
	segments := min(mul(int64(exp.Topic.Partitions), seg), mul(total, rec))
	return add(mul(backlog, rec), segments), ""
}

// plural is "1 thing" or "2 things".
func plural(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return count(n) + " " + thing + "s"
}

// count formats n with thousands separators.
func count(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Bytes formats a byte count for people: 512 MiB, 1.5 GiB.
func Bytes(n int64) string {
	switch {
	case n >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (n+1023)/1024)
}

// breakdown lists the n largest parts of at least 1 MiB.
func (e Estimate) breakdown(n int) string {
	parts := append([]Part(nil), e.Parts...)
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].Bytes > parts[j].Bytes })
	var shown []string
	for _, p := range parts {
		if p.Bytes >= 1<<20 && len(shown) < n {
			shown = append(shown, fmt.Sprintf("%s ~%s", p.What, Bytes(p.Bytes)))
		}
	}
	return strings.Join(shown, ", ")
}

// Summary is the estimate in one line: the total and its largest parts.
func (e Estimate) Summary() string {
	s := "~" + Bytes(e.Total())
	if b := e.breakdown(3); b != "" {
		s += " (" + b + ")"
	}
	if e.Unbounded != "" {
		s += ", plus " + e.Unbounded
	}
	return s
}
