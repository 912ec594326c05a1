package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads/runner"
)

// Delivery figures a variant did not measure (cut short, a shard) are
// absent, never 0; measured ones are there, 0 included.
func TestExporterNotMeasuredIsAbsent(t *testing.T) {
	e := NewExporter()
	snap := func(name string, d report.Delivery) *runner.Snapshot {
		return &runner.Snapshot{
			Variant: name, Phase: runner.PhaseDone,
			Producers: []runner.ProducerSnapshot{{Index: 0, Sent: 10, Acked: 10}},
			Groups:    []runner.GroupSnapshot{{Group: "g", Processed: 10, Lag: []int64{0, 0}}},
			Result:    &report.Variant{Consume: report.Consume{Groups: []report.Group{{Group: "g", Delivery: d}}}},
		}
	}
	e.Observe(snap("cut", report.Delivery{}))
	e.Observe(snap("clean", report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(3)}))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	want := `
# HELP kbench_delivery_lost_messages Acknowledged messages the group will never process; present once the drain measured it.
# TYPE kbench_delivery_lost_messages gauge
kbench_delivery_lost_messages{group="g",variant="clean"} 0
# HELP kbench_delivery_unconsumed_messages Acknowledged messages still in the topic the group had not processed when the drain ended; present once measured.
# TYPE kbench_delivery_unconsumed_messages gauge
kbench_delivery_unconsumed_messages{group="g",variant="clean"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "kbench_delivery_lost_messages", "kbench_delivery_unconsumed_messages"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "kbench_phase"); err != nil || n != 2*len(runner.Phases) {
		t.Errorf("kbench_phase: %d series (%v), want one per phase and variant", n, err)
	}
}

// A capacity search's probes export under the searched variant's name,
// with the current probe and its rate; a run without a search has neither.
func TestExporterSearchProbe(t *testing.T) {
	e := NewExporter()
	e.Observe(&runner.Snapshot{Variant: "plain", Phase: runner.PhaseMeasure})
	for i, rate := range []float64{100, 200} {
		e.Observe(&runner.Snapshot{Variant: "keys", Phase: runner.PhaseMeasure,
			Probe: &runner.ProbeInfo{Index: i + 1, Rate: rate, Variant: "keys"}})
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	want := `
# HELP kbench_search_probe The capacity search's current probe of the variant (1-based); absent without a search.
# TYPE kbench_search_probe gauge
kbench_search_probe{variant="keys"} 2
# HELP kbench_search_probe_rate_msgs_per_s The target rate of the capacity search's current probe.
# TYPE kbench_search_probe_rate_msgs_per_s gauge
kbench_search_probe_rate_msgs_per_s{variant="keys"} 200
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "kbench_search_probe", "kbench_search_probe_rate_msgs_per_s"); err != nil {
		t.Error(err)
	}
}

// The rebalance pause exports in partition-seconds where the run measures
// it, and is absent where it does not (a sharded run's group).
func TestExporterRebalancePause(t *testing.T) {
	e := NewExporter()
	e.Observe(&runner.Snapshot{Variant: "v", Phase: runner.PhaseMeasure, Groups: []runner.GroupSnapshot{
		{Group: "paused", Rebalances: 2, RebalancePauseMs: report.Float(2620)},
		{Group: "sharded", Rebalances: 1},
	}})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	want := `
# HELP kbench_consume_rebalance_pause_seconds_total Partition-seconds during which a partition with work had no member able to process it (rebalance_pause_ms / 1000); absent when not measured.
# TYPE kbench_consume_rebalance_pause_seconds_total counter
kbench_consume_rebalance_pause_seconds_total{group="paused",variant="v"} 2.62
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "kbench_consume_rebalance_pause_seconds_total"); err != nil {
		t.Error(err)
	}
}
