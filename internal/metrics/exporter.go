package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads/runner"
)

// Label names. Every label is bounded by the plan (variants, producer
// instances, consumer groups, partitions): never a key.
const (
	lVariant   = "variant"
	lProducer  = "producer"
	lGroup     = "group"
	lPartition = "partition"
	lPhase     = "phase"
)

// families is every family name the run exporter defines.
var families []string

func desc(name, help string, labels ...string) *prometheus.Desc {
	families = append(families, "kbench_"+name)
	return prometheus.NewDesc("kbench_"+name, help, labels, nil)
}

// The run's families. Counters restart with each variant (a new label
// set); a variant that ended keeps its last values.
var (
	dPhase     = desc("phase", "1 for the variant's current phase (warmup, measure, drain, done), 0 for the others.", lVariant, lPhase)
	dProbe     = desc("search_probe", "The capacity search's current probe of the variant (1-based); absent without a search.", lVariant)
	dProbeRate = desc("search_probe_rate_msgs_per_s", "The target rate of the capacity search's current probe.", lVariant)
	dElapsed   = desc("elapsed_seconds", "Time since the variant's pacing origin (warmup included).", lVariant)
	dPlanned   = desc("planned_seconds", "The variant's warmup plus measured duration.", lVariant)

	dSent    = desc("produce_sent_messages_total", "Messages handed to the client, warmup included.", lVariant, lProducer)
	dAcked   = desc("produce_acked_messages_total", "Messages the broker acknowledged, warmup included.", lVariant, lProducer)
	dErrors  = desc("produce_errors_total", "Messages whose delivery failed.", lVariant, lProducer)
	dBytes   = desc("produce_acked_bytes_total", "Acknowledged bytes (key, value, headers), measured phase only.", lVariant, lProducer)
	dUnsent  = desc("produce_unsent_messages", "Messages due before the end but never sent (a paced producer that fell behind); present once the variant ended.", lVariant)
	dLatency = desc("produce_latency_seconds", "Produce latency: hand-off to acknowledgement, warmup included.", lVariant)
	dCorr    = desc("produce_corrected_latency_seconds", "Corrected produce latency: intended send time to acknowledgement, warmup included.", lVariant)

	dProcessed  = desc("consume_processed_messages_total", "Messages the group processed for the first time.", lVariant, lGroup)
	dRebalances = desc("consume_rebalances_total", "Rebalances of the group since it was ready.", lVariant, lGroup)
	dPause      = desc("consume_rebalance_pause_seconds_total", "Partition-seconds during which a partition with work had no member able to process it (rebalance_pause_ms / 1000); absent when not measured.", lVariant, lGroup)
	dLag        = desc("consume_lag_messages", "High watermark minus the group's committed offset, read once a second.", lVariant, lGroup, lPartition)
	dE2E        = desc("e2e_latency_seconds", "End-to-end latency: producer hand-off to consumer receipt (within 3%), warmup included.", lVariant, lGroup)

	dDuplicated = desc("delivery_duplicated_messages_total", "Messages the group processed again (re-deliveries).", lVariant, lGroup)
	dPending    = desc("delivery_pending_messages", "Acknowledged messages the group has not processed yet: in flight, not lost.", lVariant, lGroup)
	dLost       = desc("delivery_lost_messages", "Acknowledged messages the group will never process; present once the drain measured it.", lVariant, lGroup)
	dUnconsumed = desc("delivery_unconsumed_messages", "Acknowledged messages still in the topic the group had not processed when the drain ended; present once measured.", lVariant, lGroup)
)

// Families names every family the run exporter exposes.
func Families() []string { return append([]string(nil), families...) }

// Exporter keeps the latest figures of every variant for Prometheus. It
// implements runner.Observer and prometheus.Collector; scrapes read under
// its lock, never the runner's.
type Exporter struct {
	mu       sync.Mutex
	variants []*variantState
}

type variantState struct {
	snap      runner.Snapshot // counters of the latest snapshot
	groups    []runner.GroupSnapshot
	produce   *latency
	corrected *latency
	e2e       map[string]*latency // per group
	result    *report.Variant     // figures once done
}

// NewExporter returns an empty exporter.
func NewExporter() *Exporter { return &Exporter{} }

// Observe implements runner.Observer.
func (e *Exporter) Observe(s *runner.Snapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.variant(s)
	v.snap = *s
	v.snap.Produce, v.snap.Corrected, v.snap.Result = nil, nil, nil
	v.groups = append(v.groups[:0], s.Groups...)
	v.produce.add(s.Produce)
	v.corrected.add(s.Corrected)
	for _, g := range s.Groups {
		l := v.e2e[g.Group]
		if l == nil {
			l = newLatency()
			v.e2e[g.Group] = l
		}
		l.add(g.E2E)
	}
	if s.Result != nil {
		r := *s.Result // keep only the figures exported below
		v.result = &report.Variant{Produce: report.Produce{Unsent: r.Produce.Unsent}, Consume: r.Consume}
	}
}

func (e *Exporter) variant(s *runner.Snapshot) *variantState {
	for _, v := range e.variants {
		if v.snap.Variant == s.Variant && v.snap.Index == s.Index {
			return v
		}
	}
	v := &variantState{produce: newLatency(), corrected: newLatency(), e2e: map[string]*latency{}}
	e.variants = append(e.variants, v)
	return v
}

// Describe implements prometheus.Collector: the exporter is unchecked
// (its label sets come and go with the plan's variants).
func (e *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range e.variants {
		v.collect(ch)
	}
}

func (v *variantState) collect(ch chan<- prometheus.Metric) {
	name := v.snap.Variant
	gauge := func(d *prometheus.Desc, x float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, x, append([]string{name}, l...)...)
	}
	counter := func(d *prometheus.Desc, x int64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(x), append([]string{name}, l...)...)
	}
	hist := func(d *prometheus.Desc, h *latency, l ...string) {
		if m, err := h.metric(d, append([]string{name}, l...)...); err == nil {
			ch <- m
		}
	}
	for _, p := range runner.Phases {
		x := 0.0
		if v.snap.Phase == p {
			x = 1
		}
		gauge(dPhase, x, string(p))
	}
	if pr := v.snap.Probe; pr != nil {
		gauge(dProbe, float64(pr.Index))
		gauge(dProbeRate, pr.Rate)
	}
	gauge(dElapsed, v.snap.Elapsed.Seconds())
	gauge(dPlanned, v.snap.Total.Seconds())
	for _, p := range v.snap.Producers {
		id := strconv.Itoa(p.Index)
		counter(dSent, p.Sent, id)
		counter(dAcked, p.Acked, id)
		counter(dErrors, p.Errors, id)
		counter(dBytes, p.Bytes, id)
	}
	hist(dLatency, v.produce)
	hist(dCorr, v.corrected)
	for _, g := range v.groups {
		counter(dProcessed, g.Processed, g.Group)
		counter(dRebalances, g.Rebalances, g.Group)
		if g.RebalancePauseMs != nil {
			ch <- prometheus.MustNewConstMetric(dPause, prometheus.CounterValue, *g.RebalancePauseMs/1000, name, g.Group)
		}
		counter(dDuplicated, g.Duplicated, g.Group)
		gauge(dPending, float64(g.Pending), g.Group)
		for p, l := range g.Lag {
			gauge(dLag, float64(l), g.Group, strconv.Itoa(p))
		}
		if h := v.e2e[g.Group]; h != nil {
			hist(dE2E, h, g.Group)
		}
	}
	if v.result == nil {
		return
	}
	gauge(dUnsent, float64(v.result.Produce.Unsent))
	for _, g := range v.result.Consume.Groups {
		// Not measured (cut short, or one shard of a sharded run) is
		// absent, never 0.
		if g.Delivery.Lost != nil {
			gauge(dLost, float64(*g.Delivery.Lost), g.Group)
		}
		if g.Delivery.Unconsumed != nil {
			gauge(dUnconsumed, float64(*g.Delivery.Unconsumed), g.Group)
		}
	}
}
